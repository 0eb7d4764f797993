package io.confman.raft.sim;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.raft.Entry;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each checker fires on the smallest history that breaks its property, and not before. */
class CheckersTest {

    private static Entry entry(long index, long term, String command) {
        return Entry.normal(index, term, command.getBytes(StandardCharsets.UTF_8));
    }

    private static ShadowLog log(Entry... entries) {
        ShadowLog log = new ShadowLog();
        for (Entry e : entries) {
            log.put(e);
        }
        return log;
    }

    @Test
    void electionSafetyAllowsOneLeaderPerTerm() {
        ElectionSafetyChecker checker = new ElectionSafetyChecker();
        assertTrue(checker.observeLeader("n1", 1, 0));
        assertDoesNotThrow(() -> checker.observeLeader("n1", 1, 1));
        assertDoesNotThrow(() -> checker.observeLeader("n2", 2, 2));
        SafetyViolation v = assertThrows(SafetyViolation.class, () -> checker.observeLeader("n3", 2, 3));
        assertTrue(v.property().startsWith("Election Safety"));
    }

    @Test
    void leaderAppendOnlyRefusesARewrite() {
        LeaderAppendOnlyChecker checker = new LeaderAppendOnlyChecker();
        assertDoesNotThrow(() -> checker.check("n1", 2, 3, List.of(entry(4, 2, "a")), 0));
        assertThrows(SafetyViolation.class, () -> checker.check("n1", 2, 3, List.of(entry(3, 2, "a")), 0));
    }

    @Test
    void logMatchingComparesWholePrefixes() {
        LogMatchingChecker checker = new LogMatchingChecker();
        ShadowLog a = log(entry(1, 1, "x"), entry(2, 2, "y"));
        ShadowLog b = log(entry(1, 1, "z"), entry(2, 2, "y"));
        checker.observe("n1", 2, 2, a.chainAt(2), 0);
        assertDoesNotThrow(() -> checker.observe("n3", 2, 2, a.chainAt(2), 0));
        assertThrows(SafetyViolation.class, () -> checker.observe("n2", 2, 2, b.chainAt(2), 0));
    }

    @Test
    void leaderCompletenessWantsEarlierCommitsInLaterLeaders() {
        LeaderCompletenessChecker checker = new LeaderCompletenessChecker();
        ShadowLog committed = log(entry(1, 1, "x"), entry(2, 1, "y"));
        checker.onCommitKnown("n1", 1, 2, committed, 0);
        assertDoesNotThrow(() -> checker.onLeaderLog("n2", 2, log(entry(1, 1, "x"), entry(2, 1, "y")), 0));
        // A leader of the same term may be the one that committed; the rule is about later terms.
        assertDoesNotThrow(() -> checker.onLeaderLog("n1", 1, log(entry(1, 1, "x")), 0));
        assertThrows(SafetyViolation.class, () -> checker.onLeaderLog("n3", 2, log(entry(1, 1, "x")), 0));
        assertThrows(SafetyViolation.class,
                () -> checker.onLeaderLog("n3", 3, log(entry(1, 1, "x"), entry(2, 2, "w")), 0));
    }

    @Test
    void stateMachineSafetyRefusesADifferentEntryAtAnAppliedIndex() {
        StateMachineSafetyChecker checker = new StateMachineSafetyChecker();
        checker.onApply("n1", 1, 1, 42, 0);
        assertDoesNotThrow(() -> checker.onApply("n2", 1, 1, 42, 0));
        assertThrows(SafetyViolation.class, () -> checker.onApply("n3", 1, 2, 43, 0));
        assertThrows(SafetyViolation.class, () -> checker.onRestore("n3", 1, 44, 0));
    }

    @Test
    void aReadMustSeeWhatWasCommittedBeforeIt() {
        LinearizableReadChecker checker = new LinearizableReadChecker();
        checker.onIssue("r1", 7);
        assertDoesNotThrow(() -> checker.onReadIndex("n1", "r1", 7, 0));
        assertThrows(SafetyViolation.class, () -> checker.onServe("n1", "r1", 7, 6, 0));
        checker.onIssue("r2", 7);
        assertThrows(SafetyViolation.class, () -> checker.onReadIndex("n1", "r2", 6, 0));
    }
}
