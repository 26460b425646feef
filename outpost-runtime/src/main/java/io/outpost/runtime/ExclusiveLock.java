package io.outpost.runtime;

import java.sql.SQLException;
import java.util.Optional;

/**
 * What makes one instance of a role active while others wait: taken before each run of the role,
 * held for the run, and released when the holder's session ends — also when its process dies.
 */
public interface ExclusiveLock {

    /**
     * Takes the lock if it is free.
     *
     * @return the held lock, or empty when another instance holds it
     * @throws SQLException when the database that keeps the lock cannot be reached
     */
    Optional<Held> tryAcquire() throws SQLException;

    /** Where the lock is kept, for messages: {@code the region store at jdbc:postgresql://…}. */
    String where();

    /** A held lock; closing it releases the lock. */
    interface Held extends AutoCloseable {

        /** Whether the lock is still held (the session that holds it is alive). */
        boolean held();

        @Override
        void close();
    }
}
