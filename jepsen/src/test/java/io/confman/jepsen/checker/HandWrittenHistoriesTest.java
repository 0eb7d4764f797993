package io.confman.jepsen.checker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.jepsen.history.History;
import io.confman.jepsen.history.Op;
import java.io.IOException;
import java.io.StringReader;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Small histories whose verdict a person can work out, each the shortest form of one kind
 * of bug (or of a correct history that looks like one). Lines are in real-time order; the
 * position in the text decides between equal times.
 */
class HandWrittenHistoriesTest {

    private static CheckResult check(String history) throws IOException {
        List<Op> ops = History.parse(new StringReader(history));
        return LinearizabilityChecker.check(ops, CheckOptions.DEFAULTS);
    }

    private static void assertValid(String history) throws IOException {
        CheckResult result = check(history);
        assertEquals(Verdict.TRUE, result.verdict(), String.join("\n", result.report()));
    }

    private static Counterexample assertInvalid(String history) throws IOException {
        CheckResult result = check(history);
        assertEquals(Verdict.FALSE, result.verdict(), String.join("\n", result.report()));
        return result.failedKeys().get(0).counterexample();
    }

    @Test
    void overlappingOperationsInSomeOrder() throws IOException {
        // The read of 1 is concurrent with the write of 2, so it may come first.
        assertValid("""
                {:type :invoke, :f :write, :value 1, :process 0}
                {:type :ok, :f :write, :value 1, :process 0}
                {:type :invoke, :f :write, :value 2, :process 0}
                {:type :invoke, :f :read, :value nil, :process 1}
                {:type :invoke, :f :cas, :value [2 3], :process 2}
                {:type :ok, :f :read, :value 1, :process 1}
                {:type :ok, :f :write, :value 2, :process 0}
                {:type :ok, :f :cas, :value [2 3], :process 2}
                {:type :invoke, :f :read, :value nil, :process 1}
                {:type :ok, :f :read, :value 3, :process 1}
                """);
    }

    @Test
    void aStaleRead() throws IOException {
        Counterexample why = assertInvalid("""
                {:type :invoke, :f :write, :value 1, :process 0}
                {:type :ok, :f :write, :value 1, :process 0}
                {:type :invoke, :f :write, :value 2, :process 0}
                {:type :ok, :f :write, :value 2, :process 0}
                {:type :invoke, :f :read, :value nil, :process 1}
                {:type :ok, :f :read, :value 1, :process 1}
                """);
        assertEquals(4, why.failed().invocation().index());
        assertEquals(List.of(2L), why.possibleStates());
        assertEquals(2, why.prefix().size());
        assertTrue(why.why().contains("it read 1, but the register held 2"), why.why());
    }

    @Test
    void aLostWrite() throws IOException {
        // The write of 2 was acknowledged, then every read sees 1 again.
        assertInvalid("""
                {:type :invoke, :f :write, :value 1, :process 0}
                {:type :ok, :f :write, :value 1, :process 0}
                {:type :invoke, :f :write, :value 2, :process 1}
                {:type :invoke, :f :read, :value nil, :process 0}
                {:type :ok, :f :read, :value 2, :process 0}
                {:type :ok, :f :write, :value 2, :process 1}
                {:type :invoke, :f :read, :value nil, :process 0}
                {:type :ok, :f :read, :value 1, :process 0}
                """);
    }

    @Test
    void aCasThatSucceededTwice() throws IOException {
        Counterexample why = assertInvalid("""
                {:type :invoke, :f :write, :value 1, :process 0}
                {:type :ok, :f :write, :value 1, :process 0}
                {:type :invoke, :f :cas, :value [1 2], :process 1}
                {:type :invoke, :f :cas, :value [1 3], :process 2}
                {:type :ok, :f :cas, :value [1 2], :process 1}
                {:type :ok, :f :cas, :value [1 3], :process 2}
                """);
        assertTrue(why.why().contains("it expected 1"), why.why());
    }

    @Test
    void anInfoThatMustHaveHappened() throws IOException {
        // Nobody knows whether the write of 2 happened, but a later read sees it: it did.
        assertValid("""
                {:type :invoke, :f :write, :value 1, :process 0}
                {:type :ok, :f :write, :value 1, :process 0}
                {:type :invoke, :f :write, :value 2, :process 1}
                {:type :info, :f :write, :value 2, :process 1, :error :timeout}
                {:type :invoke, :f :read, :value nil, :process 0}
                {:type :ok, :f :read, :value 2, :process 0}
                """);
        // Even a cas that timed out: the read of 3 needs it, and it is legal where it must go.
        assertValid("""
                {:type :invoke, :f :write, :value 1, :process 0}
                {:type :ok, :f :write, :value 1, :process 0}
                {:type :invoke, :f :cas, :value [1 3], :process 1}
                {:type :info, :f :cas, :value [1 3], :process 1, :error :timeout}
                {:type :invoke, :f :read, :value nil, :process 0}
                {:type :ok, :f :read, :value 3, :process 0}
                """);
    }

    @Test
    void anInfoThatMustNotHaveHappened() throws IOException {
        // The write of 2 timed out and the register still holds 1 long after: it never happened.
        assertValid("""
                {:type :invoke, :f :write, :value 1, :process 0}
                {:type :ok, :f :write, :value 1, :process 0}
                {:type :invoke, :f :write, :value 2, :process 1}
                {:type :info, :f :write, :value 2, :process 1, :error :timeout}
                {:type :invoke, :f :read, :value nil, :process 0}
                {:type :ok, :f :read, :value 1, :process 0}
                {:type :invoke, :f :read, :value nil, :process 0}
                {:type :ok, :f :read, :value 1, :process 0}
                """);
        // An indeterminate cas that could not have applied (the register never held 7).
        assertValid("""
                {:type :invoke, :f :write, :value 1, :process 0}
                {:type :ok, :f :write, :value 1, :process 0}
                {:type :invoke, :f :cas, :value [7 8], :process 1}
                {:type :invoke, :f :read, :value nil, :process 0}
                {:type :ok, :f :read, :value 1, :process 0}
                """);
    }

    @Test
    void anInfoSeenThenUndone() throws IOException {
        // A read sees the timed-out write of 2, a later one the 1 from before it.
        assertInvalid("""
                {:type :invoke, :f :write, :value 1, :process 0}
                {:type :ok, :f :write, :value 1, :process 0}
                {:type :invoke, :f :write, :value 2, :process 1}
                {:type :invoke, :f :read, :value nil, :process 0}
                {:type :ok, :f :read, :value 2, :process 0}
                {:type :invoke, :f :read, :value nil, :process 0}
                {:type :ok, :f :read, :value 1, :process 0}
                {:type :info, :f :write, :value 2, :process 1, :error :timeout}
                """);
    }

    @Test
    void aFailedWriteWhoseValueIsRead() throws IOException {
        assertInvalid("""
                {:type :invoke, :f :write, :value 1, :process 0}
                {:type :ok, :f :write, :value 1, :process 0}
                {:type :invoke, :f :write, :value 2, :process 1}
                {:type :fail, :f :write, :value 2, :process 1, :error :refused}
                {:type :invoke, :f :read, :value nil, :process 0}
                {:type :ok, :f :read, :value 2, :process 0}
                """);
        // A failed cas did not take effect either, so the next cas cannot find its value.
        assertInvalid("""
                {:type :invoke, :f :write, :value 1, :process 0}
                {:type :ok, :f :write, :value 1, :process 0}
                {:type :invoke, :f :cas, :value [1 2], :process 1}
                {:type :fail, :f :cas, :value [1 2], :process 1}
                {:type :invoke, :f :cas, :value [2 3], :process 0}
                {:type :ok, :f :cas, :value [2 3], :process 0}
                """);
    }

    @Test
    void failedAndTimedOutReadsChangeNothing() throws IOException {
        assertValid("""
                {:type :invoke, :f :write, :value 1, :process 0}
                {:type :ok, :f :write, :value 1, :process 0}
                {:type :invoke, :f :read, :value nil, :process 1}
                {:type :fail, :f :read, :value nil, :process 1, :error :timeout}
                {:type :invoke, :f :read, :value nil, :process 1}
                {:type :info, :f :read, :value nil, :process 1, :error :timeout}
                {:type :invoke, :f :read, :value nil, :process 2}
                """);
    }

    @Test
    void readsOfNil() throws IOException {
        // Before the first write, nil is the register's value.
        assertValid("""
                {:type :invoke, :f :read, :value nil, :process 1}
                {:type :ok, :f :read, :value nil, :process 1}
                {:type :invoke, :f :write, :value 1, :process 0}
                {:type :invoke, :f :read, :value nil, :process 1}
                {:type :ok, :f :read, :value nil, :process 1}
                {:type :ok, :f :write, :value 1, :process 0}
                """);
        // After the initial write completed, nil is a stale read.
        Counterexample why = assertInvalid("""
                {:type :invoke, :f :write, :value 1, :process 0}
                {:type :ok, :f :write, :value 1, :process 0}
                {:type :invoke, :f :read, :value nil, :process 1}
                {:type :ok, :f :read, :value nil, :process 1}
                """);
        assertTrue(why.why().contains("it read nil, but the register held 1"), why.why());
    }

    @Test
    void equalTimesAreOrderedByTheFile() throws IOException {
        // The write of 2 completes at the instant the read starts; the file puts the completion
        // first, so the read follows the write and 1 is stale.
        assertInvalid("""
                {:type :invoke, :f :write, :value 1, :process 0, :time 1000}
                {:type :ok, :f :write, :value 1, :process 0, :time 2000}
                {:type :invoke, :f :write, :value 2, :process 1, :time 3000}
                {:type :ok, :f :write, :value 2, :process 1, :time 4000}
                {:type :invoke, :f :read, :value nil, :process 0, :time 4000}
                {:type :ok, :f :read, :value 1, :process 0, :time 5000}
                """);
        // The same events with the invocation written first overlap, and the history is valid.
        assertValid("""
                {:type :invoke, :f :write, :value 1, :process 0, :time 1000}
                {:type :ok, :f :write, :value 1, :process 0, :time 2000}
                {:type :invoke, :f :write, :value 2, :process 1, :time 3000}
                {:type :invoke, :f :read, :value nil, :process 0, :time 4000}
                {:type :ok, :f :write, :value 2, :process 1, :time 4000}
                {:type :ok, :f :read, :value 1, :process 0, :time 5000}
                """);
    }

    @Test
    void aNeverWrittenValue() throws IOException {
        assertInvalid("""
                {:type :invoke, :f :write, :value 1, :process 0}
                {:type :ok, :f :write, :value 1, :process 0}
                {:type :invoke, :f :read, :value nil, :process 1}
                {:type :ok, :f :read, :value 99, :process 1}
                """);
    }

    @Test
    void valuesCompareByEdnEquality() throws IOException {
        assertValid("""
                {:type :invoke, :f :write, :value "a", :process 0}
                {:type :ok, :f :write, :value "a", :process 0}
                {:type :invoke, :f :cas, :value ["a" :b], :process 0}
                {:type :ok, :f :cas, :value ["a" :b], :process 0}
                {:type :invoke, :f :read, :value nil, :process 0}
                {:type :ok, :f :read, :value :b, :process 0}
                """);
        assertInvalid("""
                {:type :invoke, :f :write, :value "b", :process 0}
                {:type :ok, :f :write, :value "b", :process 0}
                {:type :invoke, :f :read, :value nil, :process 0}
                {:type :ok, :f :read, :value :b, :process 0}
                """);
    }

    @Test
    void onlyTheFailingKeyOfAMultiKeyHistoryIsReported() throws IOException {
        CheckResult result = check("""
                {:type :invoke, :f :write, :value ["a" 1], :process 0}
                {:type :invoke, :f :write, :value ["b" 1], :process 1}
                {:type :ok, :f :write, :value ["a" 1], :process 0}
                {:type :ok, :f :write, :value ["b" 1], :process 1}
                {:type :invoke, :f :read, :value ["a" nil], :process 0}
                {:type :invoke, :f :read, :value ["b" nil], :process 1}
                {:type :ok, :f :read, :value ["a" 1], :process 0}
                {:type :ok, :f :read, :value ["b" 2], :process 1}
                """);
        assertEquals(Verdict.FALSE, result.verdict());
        assertEquals(List.of("b"), result.failedKeys().stream().map(KeyResult::key).toList());
        assertTrue(result.report().contains(":failed-keys [\"b\"]"), String.join("\n", result.report()));
        assertEquals(Verdict.TRUE, result.keys().get(0).verdict());
    }

    @Test
    void theLimitsGiveUnknownNeverAPass() throws IOException {
        List<Op> ops = io.confman.jepsen.history.HistoryGenerator.generate(5,
                io.confman.jepsen.history.HistoryGenerator.Config.of(2, 500));
        CheckResult result = LinearizabilityChecker.check(ops, CheckOptions.DEFAULTS.withCacheBytesMax(1));
        assertEquals(Verdict.UNKNOWN, result.verdict());
        assertTrue(result.report().stream().anyMatch(line -> line.contains("cache limit of 0 MiB")),
                String.join("\n", result.report()));
        CheckResult timedOut = LinearizabilityChecker.check(ops,
                CheckOptions.DEFAULTS.withTimeLimit(java.time.Duration.ofNanos(1)));
        assertEquals(Verdict.UNKNOWN, timedOut.verdict());
        assertTrue(timedOut.report().stream().anyMatch(line -> line.contains("time limit")));
    }

    @Test
    void anEmptyHistoryIsLinearizable() {
        assertEquals(Verdict.TRUE, LinearizabilityChecker.check(List.of(), CheckOptions.DEFAULTS).verdict());
    }
}
