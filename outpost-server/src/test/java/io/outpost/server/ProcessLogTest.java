package io.outpost.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class ProcessLogTest {

    @TempDir
    Path dir;

    @Test
    void namesTheFileByRegionAndRoles() {
        assertThat(ProcessLog.name("us-east", List.of(Deployment.Role.MONITOR, Deployment.Role.PROJECTOR,
                Deployment.Role.GATEWAY, Deployment.Role.GATEWAY))).isEqualTo("outpost-us-east-projector+gateway+monitor.log");
        assertThat(ProcessLog.name(null, EnumSet.of(Deployment.Role.CAPTURE))).isEqualTo("outpost-capture.log");
    }

    @Test
    void anOutpostRunProcessMovesToAFileOfItsOwnUnlessTheUserNamedOne() throws Exception {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%msg%n");
        encoder.start();
        FileAppender<ILoggingEvent> file = new FileAppender<>();
        file.setContext(context);
        file.setName("FILE");
        file.setEncoder(encoder);
        file.setFile(dir.resolve("outpost.log").toString());
        file.start();
        root.addAppender(file);
        try {
            System.setProperty("outpost.log.file", dir.resolve("outpost.log").toString());
            System.setProperty(ProcessLog.DEFAULT_CHOSEN, "true");
            String own = ProcessLog.ownFile("eu-west", List.of(Deployment.Role.PROJECTOR, Deployment.Role.GATEWAY));
            assertThat(own).isEqualTo(dir.resolve("outpost-eu-west-projector+gateway.log").toString());
            assertThat(System.getProperty("outpost.log.file")).isEqualTo(own);
            root.warn("a line of eu-west's");
            assertThat(Files.readString(Path.of(own))).contains("a line of eu-west's");
            assertThat(Files.readString(dir.resolve("outpost.log"))).doesNotContain("a line of eu-west's");

            System.setProperty(ProcessLog.DEFAULT_CHOSEN, "false");
            System.setProperty("outpost.log.file", dir.resolve("mine.log").toString());
            assertThat(ProcessLog.ownFile("eu-west", List.of(Deployment.Role.GATEWAY))).as("the user's own choice stays")
                    .isEqualTo(dir.resolve("mine.log").toString());
            assertThat(file.getFile()).isEqualTo(own);
        } finally {
            root.detachAppender(file);
            file.stop();
            System.clearProperty("outpost.log.file");
            System.clearProperty(ProcessLog.DEFAULT_CHOSEN);
        }
    }
}
