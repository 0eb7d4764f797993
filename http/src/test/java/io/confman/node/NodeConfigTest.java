package io.confman.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.raft.RaftConfig;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NodeConfigTest {

    private static final Map<String, InetSocketAddress> MEMBERS = Map.of(
            "n1", new InetSocketAddress("127.0.0.1", 7001),
            "n2", new InetSocketAddress("127.0.0.1", 7002),
            "n3", new InetSocketAddress("127.0.0.1", 7003));
    private static final byte[] SECRET = "sixteen bytes or more".getBytes(StandardCharsets.UTF_8);

    private static NodeConfig config(String id, long tickMs, long heartbeatMs, long electionMs, long requestMs) {
        return NodeConfig.of(id, MEMBERS, Path.of("data"), SECRET, tickMs, heartbeatMs, electionMs, requestMs, 100);
    }

    @Test
    void convertsMillisecondsToTicks() {
        RaftConfig raft = config("n1", 10, 50, 500, 5_000).raftConfig();
        assertEquals(5, raft.heartbeatIntervalTicks());
        assertEquals(50, raft.electionTimeoutTicks());
        assertEquals(500, raft.requestTimeoutTicks());
        assertTrue(raft.snapshotBudgetTicks() < raft.electionTimeoutTicks());
    }

    @Test
    void refusesHeartbeatNotBelowElectionTimeout() {
        var e = assertThrows(IllegalArgumentException.class, () -> config("n1", 10, 500, 500, 5_000));
        assertTrue(e.getMessage().contains("heartbeatMs < electionTimeoutMs"), e.getMessage());
    }

    @Test
    void refusesElectionTimeoutNotBelowRequestTimeout() {
        var e = assertThrows(IllegalArgumentException.class, () -> config("n1", 10, 50, 500, 500));
        assertTrue(e.getMessage().contains("electionTimeoutMs < requestTimeoutMs"), e.getMessage());
    }

    @Test
    void refusesATickThatDoesNotDivideTheTimeouts() {
        var e = assertThrows(IllegalArgumentException.class, () -> config("n1", 30, 60, 500, 6_000));
        assertTrue(e.getMessage().contains("tickMs divides electionTimeoutMs"), e.getMessage());
    }

    @Test
    void refusesAnIdOutsideTheMemberList() {
        var e = assertThrows(IllegalArgumentException.class, () -> config("n9", 10, 50, 500, 5_000));
        assertTrue(e.getMessage().contains("id is one of members"), e.getMessage());
    }

    @Test
    void refusesAShortSecretAndNeverPrintsIt() {
        assertThrows(IllegalArgumentException.class, () -> NodeConfig.of("n1", MEMBERS, Path.of("data"),
                new byte[8], 10, 50, 500, 5_000, 100));
        assertFalse(config("n1", 10, 50, 500, 5_000).toString().contains("sixteen"));
    }

    @Test
    void framesHoldTheLargestCommand() {
        NodeConfig config = config("n1", 10, 50, 500, 5_000);
        RaftConfig raft = config.raftConfig();
        long needed = (raft.appendEntriesBytesMax() + config.commandBytesMax()) * 5 / 4 + 1024;
        assertTrue(config.transportConfig().frameBytesMax() >= needed);
    }
}
