package io.outpost.embedded.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A directory that one live process owns, proven by an OS file lock on {@code owner.lock} inside it.
 *
 * <p>Why a lock and not a PID file: the lock dies with its process, also under {@code kill -9}, so a
 * later start can tell a leftover directory (lock free) from one in use (lock held) without guessing
 * from PIDs, which the OS reuses.
 */
public final class OwnedDirectory implements AutoCloseable {

    private static final String LOCK_FILE = "owner.lock";
    /**
     * The lock files this JVM holds. Never opened again while held: on Linux, closing any channel on
     * a file releases every lock this process holds on it (POSIX record locks), so probing our own
     * directory would hand it to the next process that looks, which would stop our server as a
     * leftover.
     */
    private static final java.util.Set<Path> HELD = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private final Path path;
    private final FileChannel channel;
    private final FileLock lock;

    private OwnedDirectory(Path path, FileChannel channel, FileLock lock) {
        this.path = path;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes ownership of {@code dir}. When an earlier owner died without cleaning up, {@code leftover}
     * runs first (to stop what it left running), then the directory is emptied.
     *
     * @throws IllegalStateException when a live process owns the directory
     */
    public static OwnedDirectory claim(Path dir, Consumer<Path> leftover) {
        return claim(dir, leftover, false);
    }

    /**
     * Takes ownership of {@code dir} and keeps what an earlier, dead owner left in it: a server
     * restarted after a crash starts on its data.
     *
     * @throws IllegalStateException when a live process owns the directory
     */
    public static OwnedDirectory claimKeeping(Path dir) {
        return claim(dir, d -> { }, true);
    }

    private static OwnedDirectory claim(Path dir, Consumer<Path> leftover, boolean keep) {
        try {
            Files.createDirectories(dir);
            Path lockFile = dir.resolve(LOCK_FILE).toAbsolutePath().normalize();
            if (HELD.contains(lockFile)) {
                throw new IllegalStateException("the directory " + dir + " is in use by this process (it holds "
                        + lockFile + "); close what uses it or choose another directory");
            }
            FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                channel.close();
                throw new IllegalStateException("the directory " + dir + " is in use by another running process "
                        + "(it holds " + lockFile + "); stop that process or choose another directory");
            }
            try (Stream<Path> children = Files.list(dir)) {
                if (!keep && children.anyMatch(child -> !child.getFileName().toString().equals(LOCK_FILE))) {
                    leftover.accept(dir);
                    deleteContents(dir, lockFile);
                }
            }
            HELD.add(lockFile);
            return new OwnedDirectory(dir, channel, lock);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot take the directory " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Claims a fresh directory under {@code parent}, after cleaning up every sibling that an earlier
     * process left behind (its lock is free).
     */
    public static OwnedDirectory claimFresh(Path parent, Consumer<Path> leftover) {
        for (Path stale : leftovers(parent)) {
            try {
                claim(stale, leftover).closeAndDelete();
            } catch (IllegalStateException raced) {
                // another process took it between the check and the claim: not ours to clean
            }
        }
        return claim(parent.resolve(UUID.randomUUID().toString().substring(0, 8)), leftover);
    }

    private static List<Path> leftovers(Path parent) {
        List<Path> stale = new ArrayList<>();
        if (!Files.isDirectory(parent)) {
            return stale;
        }
        try (Stream<Path> children = Files.list(parent)) {
            for (Path child : children.filter(Files::isDirectory).toList()) {
                Path lockFile = child.resolve(LOCK_FILE).toAbsolutePath().normalize();
                if (!Files.exists(lockFile) || HELD.contains(lockFile)) {
                    continue;
                }
                try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
                    FileLock probe = channel.tryLock();
                    if (probe != null) {
                        probe.release();
                        stale.add(child);
                    }
                } catch (OverlappingFileLockException | IOException e) {
                    // held in this JVM, or unreadable: not a leftover we may touch
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return stale;
    }

    public Path path() {
        return path;
    }

    /** Releases the lock and deletes the directory. */
    public void closeAndDelete() {
        close();
        deleteRecursively(path);
    }

    @Override
    public void close() {
        try {
            if (lock.isValid()) {
                lock.release();
            }
            channel.close();
            HELD.remove(path.resolve(LOCK_FILE).toAbsolutePath().normalize());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteContents(Path dir, Path keep) throws IOException {
        try (Stream<Path> children = Files.list(dir)) {
            for (Path child : children.toList()) {
                if (!child.equals(keep)) {
                    deleteRecursively(child);
                }
            }
        }
    }

    public static void deleteRecursively(Path root) {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + root + ": " + e.getMessage(), e);
        }
    }
}
