package io.confman.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The configuration checks that need files: secrets, tokens, timing rules, the disk probe. */
class ServerCommandTest {

    @TempDir
    Path dir;

    private Path file(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    private ServerSettings settings(String... extra) throws IOException, UsageException {
        List<String> args = new ArrayList<>(List.of("--id", "n1", "--peers", "n1=127.0.0.1:7001,n2=127.0.0.1:7002",
                "--http", "127.0.0.1:0", "--data", dir.resolve("data").toString()));
        if (!Arrays.asList(extra).contains("--cluster-secret-file")) {
            args.addAll(List.of("--cluster-secret-file", file("secret", "0123456789abcdef\n").toString()));
        }
        args.addAll(Arrays.asList(extra));
        return ServerSettings.parse(args.toArray(String[]::new));
    }

    private static UsageException refused(ServerSettings settings) {
        UsageException e = assertThrows(UsageException.class, () -> ServerCommand.plan(settings));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e;
    }

    @Test
    void buildsBothConfigurations() throws Exception {
        ServerCommand.Plan plan = ServerCommand.plan(settings("--heartbeat-ms", "50", "--election-timeout-ms", "500",
                "--request-timeout-ms", "5000", "--snapshot-interval", "50", "--admin-token-file",
                file("token", "an-admin-token-of-32-characters!\n").toString()));
        assertEquals(10, plan.node().tickMs());
        assertEquals(50, plan.node().snapshotIntervalEntries());
        assertArrayEquals("0123456789abcdef".getBytes(StandardCharsets.US_ASCII), plan.node().secret(),
                "the trailing newline is not part of the secret");
        assertEquals("an-admin-token-of-32-characters!", plan.http().adminToken());
        assertEquals(5000, plan.http().requestTimeoutMs());
    }

    @Test
    void noAdminTokenFileMeansNoToken() throws Exception {
        assertNull(ServerCommand.plan(settings()).http().adminToken());
    }

    @Test
    void heartbeatNotBelowElectionTimeoutIsRefusedNamingTheRule() throws Exception {
        UsageException e = refused(settings("--heartbeat-ms", "1000", "--election-timeout-ms", "1000"));
        assertTrue(e.getMessage().contains("heartbeatMs < electionTimeoutMs"), e.getMessage());
    }

    @Test
    void electionTimeoutNotBelowRequestTimeoutIsRefusedNamingTheRule() throws Exception {
        UsageException e = refused(settings("--election-timeout-ms", "2000", "--request-timeout-ms", "2000"));
        assertTrue(e.getMessage().contains("electionTimeoutMs < requestTimeoutMs"), e.getMessage());
    }

    @Test
    void unreadableSecretFileIsRefused() throws Exception {
        UsageException e = refused(settings("--cluster-secret-file", dir.resolve("missing").toString()));
        assertTrue(e.getMessage().contains("--cluster-secret-file") && e.getMessage().contains("cannot be read"),
                e.getMessage());
    }

    @Test
    void shortOrEmptySecretIsRefused() throws Exception {
        UsageException shortOne = refused(settings("--cluster-secret-file", file("short", "tooshort\n").toString()));
        assertTrue(shortOne.getMessage().contains("secret is at least 16 bytes"), shortOne.getMessage());
        UsageException empty = refused(settings("--cluster-secret-file", file("empty", "\n").toString()));
        assertTrue(empty.getMessage().contains("is empty"), empty.getMessage());
    }

    @Test
    void shortAdminTokenIsRefused() throws Exception {
        UsageException e = refused(settings("--admin-token-file", file("token", "short\n").toString()));
        assertTrue(e.getMessage().contains("admin token is at least 16 characters"), e.getMessage());
    }

    @Test
    void aDiskSlowerThanHalfTheElectionTimeoutIsRefused() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        // A budget of zero: any measured fsync is too slow, so the refusal path runs on any disk.
        UsageException e = assertThrows(UsageException.class, () -> ServerCommand.checkDisk(data, 0));
        assertTrue(e.getMessage().contains("the measured snapshot and fsync budget below the election timeout"),
                e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        try (var left = Files.list(data)) {
            assertEquals(0, left.count(), "the probe file is deleted");
        }
        ServerCommand.checkDisk(data, 60_000);
    }

    @Test
    void aDataPathThatIsAFileIsRefused() throws Exception {
        Path notADirectory = file("plain", "x");
        UsageException e = assertThrows(UsageException.class, () -> ServerCommand.checkDisk(notADirectory, 1000));
        assertTrue(e.getMessage().contains("is not a usable directory"), e.getMessage());
    }
}
