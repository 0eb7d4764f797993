package io.confman.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The configuration refuses values that break the timing order, and says which rule. */
class RaftConfigTest {

    private static final List<String> MEMBERS = List.of("a", "b", "c");

    private static String refusal(Runnable build) {
        return assertThrows(IllegalArgumentException.class, build::run).getMessage();
    }

    @Test
    void defaultsAreValid() {
        RaftConfig config = RaftConfig.defaults("a", MEMBERS);
        assertEquals(2, config.quorum());
    }

    @Test
    void heartbeatMustBeShorterThanElectionTimeout() {
        String message = refusal(() -> RaftConfig.defaults("a", MEMBERS).withTiming(10, 10, 30, 5));
        assertTrue(message.contains("heartbeatIntervalTicks < electionTimeoutTicks"), message);
    }

    @Test
    void electionTimeoutMustBeShorterThanRequestTimeout() {
        String message = refusal(() -> RaftConfig.defaults("a", MEMBERS).withTiming(1, 10, 10, 5));
        assertTrue(message.contains("electionTimeoutTicks < requestTimeoutTicks"), message);
    }

    @Test
    void snapshotBudgetMustBeShorterThanElectionTimeout() {
        String message = refusal(() -> RaftConfig.defaults("a", MEMBERS).withTiming(1, 10, 30, 10));
        assertTrue(message.contains("snapshotBudgetTicks < electionTimeoutTicks"), message);
    }

    @Test
    void boundsMustBePositive() {
        String message = refusal(() -> RaftConfig.defaults("a", MEMBERS).withFlowControl(0, 1, 1, 1));
        assertTrue(message.contains("inflightMessagesMax > 0"), message);
    }

    @Test
    void idMustBeAMember() {
        String message = refusal(() -> RaftConfig.defaults("d", MEMBERS));
        assertTrue(message.contains("id is one of members"), message);
    }

    @Test
    void membersMustBeDistinct() {
        String message = refusal(() -> RaftConfig.defaults("a", List.of("a", "a", "b")));
        assertTrue(message.contains("distinct"), message);
    }

    @Test
    void identityIgnoresOrderButNotMembership() {
        ClusterIdentity abc = ClusterIdentity.of(List.of("a", "b", "c"));
        assertEquals(abc, ClusterIdentity.of(List.of("c", "a", "b")));
        assertTrue(!abc.equals(ClusterIdentity.of(List.of("a", "b", "c", "d"))));
        assertTrue(!abc.equals(ClusterIdentity.of(List.of("a", "b"))));
        assertEquals(64, abc.value().length());
    }
}
