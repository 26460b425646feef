package io.outpost.embedded.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OwnedDirectoryTest {

    @Test
    @DisplayName("regression (2026-12-03): claiming a fresh sibling does not release this JVM's lock on a directory it owns "
            + "(another process then stopped our shared PostgreSQL as a leftover)")
    void claimingASiblingKeepsTheOwnLock(@TempDir Path parent) throws Exception {
        try (OwnedDirectory owned = OwnedDirectory.claimFresh(parent, d -> { })) {
            Files.writeString(owned.path().resolve("data"), "a server's files");
            try (OwnedDirectory sibling = OwnedDirectory.claimFresh(parent, d -> { })) {
                assertThat(sibling.path()).isNotEqualTo(owned.path());
            }
            assertThatThrownBy(() -> OwnedDirectory.claim(owned.path(), d -> { }))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("in use by this process");
            assertThat(lockedInAnotherProcess(owned.path().resolve("owner.lock"))).as("another process finds it locked")
                    .isEqualTo("held");
            assertThat(owned.path().resolve("data")).exists();
        }
    }

    /** Asks a child JVM whether it can lock {@code file}: {@code held} or {@code free}. */
    private static String lockedInAnotherProcess(Path file) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process child = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                LockProbe.class.getName(), file.toString())).redirectErrorStream(true).start();
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).as("the probe ended").isTrue();
        return new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    }

    /** Run in the child JVM: tries the lock once. */
    public static final class LockProbe {

        private LockProbe() {
        }

        public static void main(String[] args) throws Exception {
            try (FileChannel channel = FileChannel.open(Path.of(args[0]), StandardOpenOption.WRITE)) {
                FileLock lock = channel.tryLock();
                System.out.println(lock == null ? "held" : "free");
            }
        }
    }
}
