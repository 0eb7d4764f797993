package io.confman.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every way {@code confman server} refuses its flags: exit status 2 and one line naming the problem. */
class ServerSettingsTest {

    private static final String PEERS = "n1=127.0.0.1:7001,n2=127.0.0.1:7002,n3=127.0.0.1:7003";

    @TempDir
    static Path dir;

    private static List<String> base(String... extra) {
        List<String> args = new ArrayList<>(List.of("--id", "n1", "--peers", PEERS, "--http", "127.0.0.1:8080",
                "--data", dir.resolve("data").toString(), "--cluster-secret-file", secretFile().toString()));
        args.addAll(Arrays.asList(extra));
        return args;
    }

    private static Path secretFile() {
        Path file = dir.resolve("secret");
        try {
            if (!Files.exists(file)) {
                Files.writeString(file, "0123456789abcdef0123456789abcdef\n");
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return file;
    }

    private static List<String> without(List<String> args, String flag) {
        List<String> copy = new ArrayList<>(args);
        int at = copy.indexOf(flag);
        copy.remove(at + 1);
        copy.remove(at);
        return copy;
    }

    private static List<String> replaced(List<String> args, String flag, String value) {
        List<String> copy = new ArrayList<>(args);
        copy.set(copy.indexOf(flag) + 1, value);
        return copy;
    }

    static Stream<Arguments> refused() {
        return Stream.of(
                Arguments.of(base("--bogus", "1"), "unknown flag --bogus"),
                Arguments.of(base("--heartbeat-ms"), "--heartbeat-ms needs a value"),
                Arguments.of(base("--heartbeat-ms", "--election-timeout-ms", "500"), "--heartbeat-ms needs a value"),
                Arguments.of(base("--heartbeat-ms", "ten"), "--heartbeat-ms must be a whole number"),
                Arguments.of(base("--heartbeat-ms", "0"), "--heartbeat-ms must be in [1,"),
                Arguments.of(base("--snapshot-interval", "-5"), "--snapshot-interval must be in [1,"),
                Arguments.of(base("--snapshot-log-bytes", "0"), "--snapshot-log-bytes must be in [1,"),
                Arguments.of(base("--id", "n2"), "--id given twice"),
                Arguments.of(base("stray"), "unexpected argument 'stray'"),
                Arguments.of(without(base(), "--id"), "--id is required"),
                Arguments.of(without(base(), "--peers"), "--peers is required"),
                Arguments.of(without(base(), "--http"), "--http is required"),
                Arguments.of(without(base(), "--data"), "--data is required"),
                Arguments.of(without(base(), "--cluster-secret-file"), "--cluster-secret-file is required"),
                Arguments.of(replaced(base(), "--id", "n9"), "--id n9 is not in --peers"),
                Arguments.of(replaced(base(), "--http", "localhost"), "--http 'localhost' is not HOST:PORT"),
                Arguments.of(replaced(base(), "--http", "127.0.0.1:http"), "has no numeric port"),
                Arguments.of(replaced(base(), "--http", "127.0.0.1:70000"), "outside [0, 65535]"),
                Arguments.of(replaced(base(), "--http", "no-such-host.invalid:80"), "does not resolve"),
                Arguments.of(replaced(base(), "--peers", "n1=127.0.0.1:7001,n2"), "'n2' is not ID=HOST:PORT"),
                Arguments.of(replaced(base(), "--peers", "n1=127.0.0.1:0"), "outside [1, 65535]"),
                Arguments.of(replaced(base(), "--peers", "n1=127.0.0.1:7001,n1=127.0.0.1:7002"), "the id n1 twice"),
                Arguments.of(replaced(base(), "--peers", "n1=127.0.0.1:7001,n2=127.0.0.1:7001"),
                        "the address 127.0.0.1:7001 twice"),
                Arguments.of(replaced(base(), "--peers", "n 1=127.0.0.1:7001"), "must be 1 to 64 of the characters"),
                Arguments.of(base("--peer-dial", "n1=127.0.0.1:9001"), "--peer-dial names 'n1', which is not another member"),
                Arguments.of(base("--peer-dial", "n9=127.0.0.1:9001"), "--peer-dial names 'n9', which is not another member"),
                Arguments.of(base("--peer-dial", "n2=127.0.0.1:9001,n2=127.0.0.1:9002"), "--peer-dial names n2 twice"),
                Arguments.of(base("--peer-dial", "n2"), "--peer-dial item 'n2' is not ID=HOST:PORT"));
    }

    @ParameterizedTest
    @MethodSource("refused")
    void refusesWithOneLineAndStatus2(List<String> args, String expected) {
        UsageException e = assertThrows(UsageException.class, () -> ServerSettings.parse(args.toArray(String[]::new)));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertOneLineExit2(args, expected);
    }

    /** The same arguments through the command: status 2, one line on stderr, nothing started. */
    private static void assertOneLineExit2(List<String> args, String expected) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = ServerCommand.run(args.toArray(String[]::new), new PrintStream(out, true), new PrintStream(err, true));
        String stderr = err.toString(StandardCharsets.UTF_8);
        assertEquals(2, status, stderr);
        assertEquals(1, stderr.lines().count(), stderr);
        assertTrue(stderr.contains(expected), stderr);
    }

    @Test
    void defaultsAndParsedValues() throws UsageException {
        ServerSettings settings = ServerSettings.parse(base("--snapshot-interval=50", "--inline-max-bytes", "1024")
                .toArray(String[]::new));
        assertEquals("n1", settings.id());
        assertEquals(List.of("n1", "n2", "n3"), new ArrayList<>(ServerSettings.parsePeers(PEERS).keySet()));
        assertEquals(3, settings.members().size());
        assertEquals(7002, settings.members().get("n2").getPort());
        assertEquals(8080, settings.http().getPort());
        assertEquals(100, settings.heartbeatMs());
        assertEquals(1_000, settings.electionTimeoutMs());
        assertEquals(10_000, settings.requestTimeoutMs());
        assertEquals(50, settings.snapshotIntervalEntries());
        assertEquals(64L << 20, settings.snapshotLogBytesMax());
        assertEquals(1024, settings.inlineMaxBytes());
        assertNull(settings.adminTokenFile());
        assertTrue(settings.peerDial().isEmpty());
    }

    /** A proxy on a link changes where the node dials, never the member list that names the cluster. */
    @Test
    void peerDialChangesTheDialedAddressOnly() throws Exception {
        ServerSettings plain = ServerSettings.parse(base().toArray(String[]::new));
        ServerSettings proxied = ServerSettings.parse(base("--peer-dial", "n2=127.0.0.1:9002,n3=127.0.0.1:9003")
                .toArray(String[]::new));
        assertEquals(9002, proxied.peerDial().get("n2").getPort());
        io.confman.node.NodeConfig node = ServerCommand.plan(proxied).node();
        assertEquals(ServerCommand.plan(plain).node().clusterIdentity(), node.clusterIdentity());
        assertEquals(7002, node.members().get("n2").getPort());
        assertEquals(9002, node.transportConfig().members().get("n2").getPort());
        assertEquals(9003, node.transportConfig().members().get("n3").getPort());
        assertEquals(7001, node.transportConfig().members().get("n1").getPort(), "this node listens where --peers says");
    }

    @Test
    void oneMemberNeedsNoSecretAndIpv6IsBracketed() throws UsageException {
        ServerSettings settings = ServerSettings.parse(new String[] {"--id", "solo", "--peers", "solo=[::1]:7001",
                "--http", "[::1]:0", "--data", "d"});
        assertNull(settings.clusterSecretFile());
        assertEquals(7001, settings.members().get("solo").getPort());
        assertEquals(0, settings.http().getPort());
    }

    @Test
    void tickIsTheLargestDivisorOfTheTimingsUpTo10Ms() {
        assertEquals(10, ServerSettings.tickMs(100, 1_000, 10_000, 10));
        assertEquals(10, ServerSettings.tickMs(50, 500, 5_000, 10));
        assertEquals(9, ServerSettings.tickMs(45, 900, 9_000, 10));
        assertEquals(5, ServerSettings.tickMs(25, 500, 5_000, 10));
        assertEquals(7, ServerSettings.tickMs(7, 700, 7_000, 10));
        assertEquals(1, ServerSettings.tickMs(101, 1_000, 10_000, 10));
        assertEquals(3, ServerSettings.tickMs(3, 9, 27, 10));
    }
}
