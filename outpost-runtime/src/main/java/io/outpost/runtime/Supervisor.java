package io.outpost.runtime;

import io.outpost.core.OutpostException;
import io.outpost.core.Ticker;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a long-running role — capture of a source, a region's projector — going without an
 * operator, on a daemon thread of its own.
 *
 * <p>Life: take the role's {@link ExclusiveLock} (a standby waits here, trying every
 * {@code lockRetry}, and takes over when the active instance's session ends); run the work while
 * holding it; when the work fails, log one line that says what failed and when the next attempt
 * is, sleep, and start again. Backoff: {@code firstBackoff} doubling up to {@code maxBackoff}, back
 * to the first once a run lasted {@code healthyRun}. Every sleep ends at once when the supervisor
 * closes.
 *
 * <p>Failures are classified by type. A non-retriable {@link OutpostException} needs an operator:
 * the supervisor stops for good (state {@link State#FAILED}) and keeps its message as the problem.
 * Everything else is retried: an {@link OutpostException.Retriable} is one of Outpost's, whose
 * message says what failed and where; anything else is unforeseen. Each distinct failure (type and
 * message) is logged with its throwable the first time it is seen — at WARN when unforeseen, at
 * DEBUG for Outpost's own — and as a line after that.
 *
 * <p>Thread confinement: only the supervisor's thread runs the work and changes the status;
 * {@link #status} and {@link #close} may be called from any thread.
 */
public final class Supervisor implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);
    /** Distinct failures remembered for "logged with its throwable once". */
    private static final int REMEMBERED_FAILURES = 32;

    /** Where a supervised role is in its life. */
    public enum State { STARTING, WAITING_FOR_LOCK, RUNNING, RETRYING, FAILED, STOPPED }

    /**
     * What a supervised role is doing.
     *
     * @param problem  why it is retrying or failed; null otherwise
     * @param since    when it entered {@code state}
     * @param attempts how many runs got going ({@link Run#running})
     * @param retries  how many failures were retried
     */
    public record Status(State state, String problem, Instant since, long attempts, long retries) {
    }

    /**
     * How a supervisor names its role and paces its attempts.
     *
     * @param name         the role in log lines and messages: {@code projector of region eu-west}
     * @param firstBackoff the first wait after a failure (doubling after each)
     * @param maxBackoff   the longest wait
     * @param healthyRun   a run at least this long resets the backoff
     * @param lockRetry    how often a standby tries the lock
     */
    public record Settings(String name, Duration firstBackoff, Duration maxBackoff, Duration healthyRun,
                           Duration lockRetry) {

        public Settings {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(firstBackoff, "firstBackoff");
            Objects.requireNonNull(maxBackoff, "maxBackoff");
            Objects.requireNonNull(healthyRun, "healthyRun");
            Objects.requireNonNull(lockRetry, "lockRetry");
        }

        /** Backoff 1 s doubling to 30 s, reset after a healthy minute; a standby tries the lock every second. */
        public static Settings of(String name) {
            return new Settings(name, Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofMinutes(1),
                    Duration.ofSeconds(1));
        }
    }

    /** The time a supervisor keeps: dates for its status, a ticker for run lengths, a sleeper for waits. */
    public record Timing(InstantSource wall, Ticker monotonic, Sleeper sleeper) {

        public Timing {
            Objects.requireNonNull(wall, "wall");
            Objects.requireNonNull(monotonic, "monotonic");
            Objects.requireNonNull(sleeper, "sleeper");
        }

        public static Timing system() {
            return new Timing(InstantSource.system(), Ticker.system(), Sleeper.system());
        }
    }

    /** One run of the role, holding its lock. */
    @FunctionalInterface
    public interface Work {

        /**
         * Runs until the supervisor closes ({@link Run#closing}) or something fails (thrown).
         * Returning while not closing counts as a failure too.
         */
        void run(Run run) throws Exception;
    }

    /** What a run of the work can ask of its supervisor. */
    public interface Run {

        /** The role is up: state RUNNING, the problem cleared, one more attempt counted. */
        void running();

        /** Whether the supervisor is closing: the work should return. */
        boolean closing();

        /** Whether the run still holds the role's lock. */
        boolean lockHeld();

        /** Waits {@code duration}, or less when the supervisor closes meanwhile. */
        void sleep(Duration duration) throws InterruptedException;
    }

    private final Settings settings;
    private final Timing timing;
    private final ExclusiveLock lock;
    private final Work work;
    private final Thread thread;
    private final CountDownLatch wake = new CountDownLatch(1);
    private final Set<String> seenFailures = Collections.newSetFromMap(new LinkedHashMap<>() {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED_FAILURES;
        }
    });
    private volatile Status status;
    private volatile boolean closing;
    private long attempts;
    private long retries;

    private Supervisor(Settings settings, Timing timing, ExclusiveLock lock, Work work, String threadName) {
        this.settings = settings;
        this.timing = timing;
        this.lock = lock;
        this.work = work;
        this.status = new Status(State.STARTING, null, timing.wall().instant(), 0, 0);
        this.thread = Thread.ofPlatform().name(threadName).daemon().unstarted(this::supervise);
    }

    /** Starts supervising {@code work} on a daemon thread named {@code threadName}. */
    public static Supervisor start(Settings settings, Timing timing, ExclusiveLock lock, Work work, String threadName) {
        Supervisor supervisor = new Supervisor(settings, timing, lock, work, threadName);
        supervisor.thread.start();
        return supervisor;
    }

    public Status status() {
        return status;
    }

    /**
     * Registers the role's life among {@code meters}: {@code <prefix>.state} (a gauge per state, 1
     * for the current one), {@code <prefix>.attempts} (runs that got going) and
     * {@code <prefix>.retries} (failures retried).
     */
    public void register(Meters meters, String prefix, String role) {
        meters.state(prefix + ".state", "Where the " + role + " is in its life: 1 for its current state", State.class,
                () -> status.state());
        meters.counted(prefix + ".attempts", "Runs of the " + role + " that got going (a restart after a failure is one more)",
                this, s -> s.status.attempts());
        meters.counted(prefix + ".retries", "Failures of the " + role + " that were retried", this, s -> s.status.retries());
    }

    private void supervise() {
        Duration backoff = settings.firstBackoff();
        boolean waitingLogged = false;
        while (!closing) {
            Optional<ExclusiveLock.Held> held;
            try {
                held = lock.tryAcquire();
            } catch (SQLException e) {
                backoff = retry(new OutpostException.Retriable("cannot reach " + lock.where() + " (" + e.getMessage() + ")", e),
                        backoff);
                continue;
            }
            if (held.isEmpty()) {
                set(State.WAITING_FOR_LOCK, null);
                if (!waitingLogged) {
                    LOG.info("another {} is active (it holds the advisory lock in {}); this one waits and takes over "
                            + "when it stops", settings.name(), lock.where());
                    waitingLogged = true;
                }
                sleep(settings.lockRetry());
                continue;
            }
            waitingLogged = false;
            long startedAt = timing.monotonic().read();
            Throwable failure;
            try (ExclusiveLock.Held running = held.get()) {
                work.run(new RunOf(running));
                failure = closing ? null : new OutpostException.Retriable(settings.name() + " stopped on its own");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (Exception | Error e) {
                failure = e;
            }
            if (closing) {
                break;
            }
            if (failure instanceof OutpostException fatal && !(failure instanceof OutpostException.Retriable)) {
                set(State.FAILED, fatal.getMessage());
                LOG.error("{} stopped: {}", settings.name(), fatal.getMessage(), fatal.getCause());
                return;
            }
            if (Duration.ofNanos(timing.monotonic().read() - startedAt).compareTo(settings.healthyRun()) >= 0) {
                backoff = settings.firstBackoff();
            }
            backoff = retry(failure, backoff);
        }
        set(State.STOPPED, null);
    }

    /** Logs the failure, waits {@code backoff}, and returns the next backoff. */
    private Duration retry(Throwable failure, Duration backoff) {
        if (closing) {
            return backoff;
        }
        retries++;
        String line = describe(failure);
        set(State.RETRYING, line);
        boolean ours = failure instanceof OutpostException;
        boolean firstSeen = seenFailures.add(failure.getClass().getName() + ": " + failure.getMessage());
        String message = "{}: {}; retrying in {} s";
        if (firstSeen && !ours) {
            LOG.warn(message, settings.name(), line, backoff.toSeconds(), failure);
        } else {
            LOG.warn(message, settings.name(), line, backoff.toSeconds());
            if (firstSeen) {
                LOG.debug("{}: what failed", settings.name(), failure);
            }
        }
        sleep(backoff);
        Duration next = backoff.multipliedBy(2);
        return next.compareTo(settings.maxBackoff()) > 0 ? settings.maxBackoff() : next;
    }

    /** Outpost's own message, or an unforeseen failure's type and first line. */
    static String describe(Throwable failure) {
        if (failure instanceof OutpostException) {
            return failure.getMessage();
        }
        String message = failure.getMessage();
        String first = message == null ? "" : message.lines().findFirst().orElse("");
        return failure.getClass().getSimpleName() + (first.isEmpty() ? "" : ": " + first);
    }

    private void set(State state, String problem) {
        Status was = status;
        Instant since = was.state() == state ? was.since() : timing.wall().instant();
        status = new Status(state, problem, since, attempts, retries);
    }

    private void sleep(Duration duration) {
        try {
            timing.sleeper().sleep(duration, wake);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closing = true;
        }
    }

    /** Asks the work to stop and wakes any sleep, without waiting: the caller may stop what the work waits on. */
    public void requestStop() {
        closing = true;
        wake.countDown();
    }

    /** Stops the role: asks the work to return, wakes any sleep, and waits up to 30 s for the thread to end. */
    @Override
    public void close() {
        requestStop();
        if (Thread.currentThread() == thread) {
            return;
        }
        try {
            thread.join(Duration.ofSeconds(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            LOG.warn("{} did not stop within 30 s", settings.name());
        }
    }

    private final class RunOf implements Run {

        private final ExclusiveLock.Held held;

        RunOf(ExclusiveLock.Held held) {
            this.held = held;
        }

        @Override
        public void running() {
            attempts++;
            set(State.RUNNING, null);
        }

        @Override
        public boolean closing() {
            return closing;
        }

        @Override
        public boolean lockHeld() {
            return held.held();
        }

        @Override
        public void sleep(Duration duration) throws InterruptedException {
            timing.sleeper().sleep(duration, wake);
        }
    }
}
