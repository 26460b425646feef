package io.outpost.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class AdvisoryLockIT {

    private static String url;

    @BeforeAll
    static void database() {
        url = EmbeddedPostgres.shared().createDatabase("advisory_lock_it");
    }

    @Test
    @DisplayName("advisory lock: one holder at a time; the next takes it once the holder's session ends")
    void oneHolderAtATime() throws Exception {
        AdvisoryLock lock = AdvisoryLock.of("outpost-test:one", "the test database", () -> DriverManager.getConnection(url));
        Optional<ExclusiveLock.Held> first = lock.tryAcquire();
        assertThat(first).isPresent();
        assertThat(first.get().held()).isTrue();
        assertThat(lock.tryAcquire()).as("a second instance waits").isEmpty();
        first.get().close();
        Optional<ExclusiveLock.Held> second = lock.tryAcquire();
        assertThat(second).as("free once the first session ended").isPresent();
        second.get().close();
        assertThat(second.get().held()).isFalse();
    }

    @Test
    @DisplayName("advisory lock: a lock query that throws closes its connection (regression: the capture's lock leaked it)")
    void aFailingLockQueryClosesItsConnection() {
        List<Connection> opened = new CopyOnWriteArrayList<>();
        AdvisoryLock lock = AdvisoryLock.of("outpost-test:failing", "the test database", () -> {
            Connection c = DriverManager.getConnection(url);
            opened.add(c);
            // a session whose transaction is aborted: the lock query fails with 25P02
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("SELECT 1/0");
            } catch (SQLException expected) {
                // the transaction is aborted now
            }
            return c;
        });
        assertThatThrownBy(lock::tryAcquire).isInstanceOf(SQLException.class).hasMessageContaining("aborted");
        assertThat(opened).hasSize(1);
        assertThat(opened.getFirst()).satisfies(c -> assertThat(c.isClosed()).as("the session was closed").isTrue());
    }
}
