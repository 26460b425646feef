package io.outpost.embedded;

import java.nio.file.Path;

/** What the kill -9 tests run in a {@link ChildJvm}: an embedded server that is then killed. */
public final class ChildMain {

    private ChildMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        switch (args[0]) {
            case "postgres" -> ChildJvm.ready(EmbeddedPostgres.builder().directory(Path.of(args[1])).start().port());
            case "kafka" -> ChildJvm.ready(EmbeddedKafka.start().directory());
            default -> throw new IllegalArgumentException(args[0]);
        }
        Thread.sleep(Long.MAX_VALUE);
    }
}
