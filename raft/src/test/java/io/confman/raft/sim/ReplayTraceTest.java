package io.confman.raft.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.raft.Status;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The JSON trace carries what a replay needs: each node's state whenever it changed, the
 * checks of every tick, and typed message fields. Read back line by line, the states must
 * agree with the run that wrote them.
 */
class ReplayTraceTest {

    /** Every fault on, so that the trace holds crashes, restarts, snapshots, drops and elections. */
    static final SimOptions EVERY_FAULT = new SimOptions(5, true, true, 10, 1, 2, 128, 32,
            50, 10, 1, 3, 30, 15, 20, 2, 30, 200, 50, 10);
    static final long SEED = 5;
    static final int TICKS = 600;

    static final List<String> STATE_FIELDS = List.of("seed", "tick", "event", "node", "up", "role", "term",
            "vote", "leader", "last_index", "last_term", "commit", "applied", "snapshot_index", "snapshot_term",
            "log", "progress");
    static final List<String> PROPERTIES = List.of("Election Safety", "Leader Append-Only", "Log Matching",
            "Leader Completeness", "State Machine Safety", "Linearizable read");

    /** One traced run: the text, its lines parsed, and the simulator as the run left it. */
    record Run(String text, List<Map<String, Object>> events, Simulator simulator, Simulator.Result result) {

        List<Map<String, Object>> of(String kind) {
            return events.stream().filter(e -> kind.equals(e.get("event"))).toList();
        }
    }

    static Run run(long seed, SimOptions options, NodeFactory factory) {
        StringWriter json = new StringWriter();
        Simulator simulator = new Simulator(seed, options, TICKS, factory, SimDisk::new, new SimTrace(null, json));
        Simulator.Result result = simulator.run();
        List<Map<String, Object>> events = json.toString().lines().map(TraceJson::object).toList();
        return new Run(json.toString(), events, simulator, result);
    }

    private static final Run RUN = run(SEED, EVERY_FAULT, NodeFactory.REAL);

    @Test
    void theRunHoldsWhatTheReplayMustShow() {
        assertNull(RUN.result().violation(), () -> RUN.result().violation().getMessage());
        for (String kind : List.of("deliver", "drop", "crash", "restart", "snapshot", "install", "elected",
                "state", "checks")) {
            assertFalse(RUN.of(kind).isEmpty(), "no " + kind + " event in the trace");
        }
        assertTrue(RUN.of("state").stream().anyMatch(s -> s.get("up").equals(false)), "no crashed state");
    }

    @Test
    void everyNodeHasAStateAtTheFirstTick() {
        assertEquals(0L, RUN.events().get(0).get("tick"));
        Set<String> nodes = new TreeSet<>();
        for (Map<String, Object> state : RUN.of("state")) {
            assertEquals(STATE_FIELDS, List.copyOf(state.keySet()), state::toString);
            if (state.get("tick").equals(0L)) {
                nodes.add((String) state.get("node"));
            }
        }
        assertEquals(Set.of("n1", "n2", "n3", "n4", "n5"), nodes);
    }

    @Test
    void theLastStateOfEachNodeIsItsStateAtTheEnd() {
        Map<String, Map<String, Object>> last = new HashMap<>();
        RUN.of("state").forEach(state -> last.put((String) state.get("node"), state));
        for (SimNode node : RUN.simulator().nodes()) {
            Status status = node.raft.status();
            Map<String, Object> state = last.get(node.id);
            assertEquals(true, state.get("up"), node.id);
            assertEquals(status.role().name(), state.get("role"), node.id);
            assertEquals(status.term(), state.get("term"), node.id);
            assertEquals(status.commitIndex(), state.get("commit"), node.id);
            assertEquals(status.lastIndex(), state.get("last_index"), node.id);
        }
    }

    /**
     * Replaying the states tick by tick, carrying each node's last state forward, gives every
     * tick the roles, terms and applied indexes its {@code tick} line shows: a state is written
     * whenever one of them changes.
     */
    @Test
    void replayedStatesAgreeWithEveryTickLine() {
        Map<String, Map<String, Object>> current = new TreeMap<>();
        List<String> tickLines = new ArrayList<>();
        long tick = 0;
        int compared = 0;
        for (Map<String, Object> event : RUN.events()) {
            if ((long) event.get("tick") != tick) {
                compared += compare(tickLines, current, tick);
                tickLines.clear();
                tick = (long) event.get("tick");
            }
            switch ((String) event.get("event")) {
                case "state" -> current.put((String) event.get("node"), event);
                case "tick" -> tickLines.add((String) event.get("nodes"));
                // The liveness phase restarts nodes after the tick line of the safety phase's last tick.
                case "restart" -> tickLines.clear();
                default -> { }
            }
        }
        compared += compare(tickLines, current, tick);
        assertTrue(compared > TICKS / 2, "compared only " + compared + " ticks");
    }

    private static int compare(List<String> tickLines, Map<String, Map<String, Object>> states, long tick) {
        if (tickLines.isEmpty()) {
            return 0;
        }
        StringBuilder replayed = new StringBuilder();
        for (Map<String, Object> state : states.values()) {
            replayed.append(replayed.isEmpty() ? "" : " ").append(state.get("node")).append('=');
            if (state.get("up").equals(true)) {
                replayed.append(((String) state.get("role")).charAt(0)).append(state.get("term"))
                        .append('@').append(state.get("applied"));
            } else {
                replayed.append("down");
            }
        }
        assertEquals(tickLines.get(0), replayed.toString(), "tick " + tick);
        return 1;
    }

    /**
     * The term is durable, so a node's term never goes back, across restarts too. A crash shows
     * the term on disk, which may be below the term the node last showed: a new term becomes
     * durable with the Ready that carries it, and a crash before its fsync loses it (the node
     * sent nothing that depends on it).
     */
    @Test
    void termsNeverGoBackExceptToTheDurableTermAtACrash() {
        Map<String, Map<String, Object>> previous = new HashMap<>();
        Map<String, Long> durable = new HashMap<>();
        int crashes = 0;
        for (Map<String, Object> state : RUN.of("state")) {
            String node = (String) state.get("node");
            long term = (long) state.get("term");
            Map<String, Object> before = previous.put(node, state);
            long durableBefore = durable.getOrDefault(node, 0L);
            assertTrue(term >= durableBefore, () -> "below the durable term " + durableBefore + ": " + state);
            if (state.get("up").equals(false)) {
                durable.put(node, term);
                crashes++;
            } else if (before != null) {
                assertTrue(term >= (long) before.get("term"), () -> "term went back from " + before + " to " + state);
            }
        }
        assertTrue(crashes > 0, "no crash to look at");
    }

    @Test
    void atMostOneLeaderPerTerm() {
        Map<Long, String> leaders = new HashMap<>();
        for (Map<String, Object> state : RUN.of("state")) {
            if (state.get("role").equals("LEADER")) {
                String earlier = leaders.putIfAbsent((Long) state.get("term"), (String) state.get("node"));
                assertTrue(earlier == null || earlier.equals(state.get("node")), () -> "two leaders: " + earlier
                        + " and " + state);
            }
        }
        assertTrue(leaders.size() > 1, "the run elects more than one leader");
    }

    @Test
    void logsAreTheNewestEntriesAboveTheSnapshot() {
        for (Map<String, Object> state : RUN.of("state")) {
            long snapshotIndex = (long) state.get("snapshot_index");
            long lastIndex = (long) state.get("last_index");
            List<?> log = (List<?>) state.get("log");
            assertEquals(Math.min(16, lastIndex - snapshotIndex), log.size(), state::toString);
            for (int i = 0; i < log.size(); i++) {
                List<?> entry = (List<?>) log.get(i);
                assertEquals(lastIndex - log.size() + 1 + i, entry.get(0), state::toString);
                assertTrue(Set.of("normal", "noop").contains(entry.get(2)), state::toString);
            }
            if (!log.isEmpty()) {
                assertEquals(state.get("last_term"), ((List<?>) log.get(log.size() - 1)).get(1), state::toString);
            }
            Map<?, ?> progress = (Map<?, ?>) state.get("progress");
            assertEquals(state.get("role").equals("LEADER"), !progress.isEmpty(), state::toString);
        }
    }

    @Test
    void everyTickWithMessagesHasOneChecksEventAtItsEnd() {
        Map<Long, Integer> checksPerTick = new HashMap<>();
        Set<Long> messageTicks = new TreeSet<>();
        long tick = -1;
        boolean checksSeen = false;
        for (Map<String, Object> event : RUN.events()) {
            long eventTick = (long) event.get("tick");
            if (eventTick != tick) {
                tick = eventTick;
                checksSeen = false;
            }
            String kind = (String) event.get("event");
            assertFalse(checksSeen, "an event after the checks of tick " + tick + ": " + event);
            if (kind.equals("checks")) {
                checksPerTick.merge(tick, 1, Integer::sum);
                checksSeen = true;
                List<?> properties = (List<?>) event.get("properties");
                assertEquals(PROPERTIES.stream().filter(properties::contains).toList(), properties, event::toString);
                assertEquals(true, event.get("ok"));
            } else if (kind.equals("deliver") || kind.equals("drop")) {
                messageTicks.add(tick);
            }
        }
        for (long messageTick : messageTicks) {
            assertEquals(1, checksPerTick.get(messageTick), "checks events at tick " + messageTick);
        }
        assertTrue(checksPerTick.values().stream().allMatch(n -> n == 1));
    }

    @Test
    void messagesCarryTheirTypeAndTermAsTypedFields() {
        for (String kind : List.of("deliver", "drop")) {
            for (Map<String, Object> event : RUN.of(kind)) {
                String message = (String) event.get("message");
                assertTrue(((String) event.get("from")).matches("n[1-5]"), event::toString);
                assertTrue(((String) event.get("to")).matches("n[1-5]"), event::toString);
                assertTrue(event.get("term") instanceof Long, event::toString);
                assertTrue(message.startsWith(event.get("type") + " term=" + event.get("term")), event::toString);
            }
        }
    }

    @Test
    void theSameSeedGivesTheSameTraceByteForByte() {
        assertEquals(RUN.text(), run(SEED, EVERY_FAULT, NodeFactory.REAL).text());
    }

    /** A planted second vote in a term: the tick of the violation ends with failed checks naming it. */
    @Test
    void aViolationEndsItsTickWithFailedChecksAndTheViolation() {
        Run run = run(1, SimOptions.random(new java.util.SplittableRandom(1).split(), 0),
                PlantedBugs.VOTE_TWICE_IN_A_TERM.factory());
        assertNotNull(run.result().violation(), "the planted bug was not caught");
        List<Map<String, Object>> events = run.events();
        Map<String, Object> violation = events.get(events.size() - 1);
        Map<String, Object> checks = events.get(events.size() - 2);
        assertEquals("violation", violation.get("event"));
        assertEquals("checks", checks.get("event"));
        assertEquals(violation.get("tick"), checks.get("tick"));
        assertEquals(false, checks.get("ok"));
        assertTrue(((List<?>) checks.get("properties")).contains("Election Safety"), checks::toString);
    }
}
