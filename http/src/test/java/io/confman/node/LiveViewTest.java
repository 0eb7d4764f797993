package io.confman.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.confman.raft.ClusterIdentity;
import io.confman.raft.Message;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The live view's bounds, on a clock the test moves: nothing is built while nobody watches,
 * states go out on change at most STATES_PER_S a second and again after the refresh period,
 * message samples and events stop at their caps and report what they skipped.
 */
class LiveViewTest {

    private static final ClusterIdentity CLUSTER = ClusterIdentity.of(List.of("n1", "n2"));
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    /** Frames as a watcher received them: "event json". */
    private static final class Recorded implements LiveView.Watcher {
        final List<String> frames = new ArrayList<>();
        boolean full;

        @Override
        public boolean offer(byte[] frame) {
            if (full) {
                return false;
            }
            String text = new String(frame, java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(text.startsWith("event: ") && text.endsWith("\n\n") && text.indexOf("\ndata: ") > 0, text);
            String event = text.substring("event: ".length(), text.indexOf('\n'));
            String data = text.substring(text.indexOf("\ndata: ") + "\ndata: ".length(), text.length() - 2);
            assertFalse(data.contains("\n"), "one data line: " + text);
            frames.add(event + " " + data);
            return true;
        }

        long count(String event) {
            return frames.stream().filter(frame -> frame.startsWith(event + " ")).count();
        }
    }

    @Test
    void buildsNothingWhileNobodyWatches() {
        LiveView live = new LiveView("n1");
        assertFalse(live.watched());
        live.onTurn(1_000 * MS, time -> fail("a state was built with no watcher"));
        live.onMessage(1_000 * MS, heartbeat());
        live.onEvent(1_000 * MS, "election", "term", 2L);
        Recorded late = new Recorded();
        live.watch(late);
        assertEquals(List.of(), late.frames, "nothing was kept for a watcher that came later");
    }

    @Test
    void sendsStatesOnChangeAtMostTenASecondAndRefreshesOldOnes() {
        long[] clock = {0};
        LiveView live = new LiveView("n1", () -> clock[0]);
        Recorded watcher = new Recorded();
        assertTrue(live.watch(watcher));
        String[] content = {"\"term\":1"};
        int[] built = {0};
        long start = 1_000_000 * MS;
        java.util.function.LongFunction<String> state = time -> {
            built[0]++;
            return "{\"node\":\"n1\",\"t\":" + time + "," + content[0] + "}";
        };
        live.onTurn(start, state);
        assertEquals(1, watcher.count("state"));
        live.onTurn(start + 50 * MS, state);
        assertEquals(1, built[0], "no state is built within a tenth of a second of the last");
        live.onTurn(start + 100 * MS, state);
        assertEquals(1, watcher.count("state"), "an unchanged state (only its time differs) is not sent");
        content[0] = "\"term\":2";
        live.onTurn(start + 200 * MS, state);
        assertEquals(2, watcher.count("state"), "a changed state is sent");
        live.onTurn(start + 2_300 * MS, state);
        assertEquals(3, watcher.count("state"), "an unchanged state is sent again after the refresh period");
        clock[0] = start + 2_400 * MS;
        Recorded late = new Recorded();
        live.watch(late);
        assertEquals(1, late.count("state"), "a new watcher gets the latest state at once");
        assertTrue(late.frames.get(0).contains("\"term\":2"));
        clock[0] = start + 5_000 * MS;
        Recorded later = new Recorded();
        live.watch(later);
        assertEquals(0, later.count("state"), "a state older than the refresh period is not shown as the present");
    }

    @Test
    void samplesMessagesAndEventsUpToTheirCapsAndCountsTheRest() {
        LiveView live = new LiveView("n1");
        Recorded watcher = new Recorded();
        live.watch(watcher);
        long start = 5_000_000 * MS;
        for (int i = 0; i < LiveView.MESSAGES_PER_S + 5; i++) {
            live.onMessage(start + i * MS, heartbeat());
        }
        assertEquals(LiveView.MESSAGES_PER_S, watcher.count("message"));
        live.onMessage(start + 1_000 * MS, heartbeat());
        String next = watcher.frames.get(watcher.frames.size() - 1);
        assertTrue(next.contains("\"skipped\":5"), "the next second's first sample reports the 5 skipped: " + next);
        assertTrue(next.contains("\"type\":\"Heartbeat\"") && next.contains("\"from\":\"n1\"")
                && next.contains("\"to\":\"n2\""), next);
        for (int i = 0; i < LiveView.EVENTS_PER_S + 3; i++) {
            live.onEvent(start + 2_000 * MS, "role-change", "role", "LEADER", "term", (long) i, "leader", null);
        }
        assertEquals(LiveView.EVENTS_PER_S, watcher.count("event"));
        assertTrue(watcher.frames.stream().anyMatch(frame -> frame.contains("\"leader\":null")
                && frame.contains("\"kind\":\"role-change\"")));
    }

    @Test
    void aFullWatcherLosesFramesAndOthersDoNot() {
        LiveView live = new LiveView("n1");
        Recorded slow = new Recorded();
        Recorded fast = new Recorded();
        live.watch(slow);
        live.watch(fast);
        slow.full = true;
        live.onMessage(MS, heartbeat());
        assertEquals(0, slow.count("message"));
        assertEquals(1, fast.count("message"));
    }

    @Test
    void refusesWatchersBeyondTheLimitAndStopsBuildingWhenTheLastLeaves() {
        LiveView live = new LiveView("n1");
        List<Recorded> watchers = new ArrayList<>();
        for (int i = 0; i < LiveView.WATCHERS_MAX; i++) {
            Recorded watcher = new Recorded();
            assertTrue(live.watch(watcher));
            watchers.add(watcher);
        }
        assertFalse(live.watch(new Recorded()), "one watcher over WATCHERS_MAX is refused");
        watchers.forEach(live::unwatch);
        assertFalse(live.watched());
        assertEquals(0, live.watcherCount());
    }

    @Test
    void helloNamesEveryMemberItsUrlOrNullAndTheController() {
        NodeConfig config = NodeConfig.of("n1", java.util.Map.of(
                        "n1", new java.net.InetSocketAddress("127.0.0.1", 7001),
                        "n2", new java.net.InetSocketAddress("127.0.0.1", 7002),
                        "n3", new java.net.InetSocketAddress("127.0.0.1", 7003)),
                java.nio.file.Path.of("unused"), "a cluster secret for tests only".getBytes(), 10, 100, 1_000,
                10_000, 5_000);
        String hello = LiveView.hello(config, java.util.Map.of("n1", "http://127.0.0.1:8001",
                "n3", "http://127.0.0.1:8003"), "http://127.0.0.1:9000", 42);
        assertTrue(hello.startsWith("{\"node\":\"n1\",\"t\":42,"), hello);
        assertTrue(hello.contains("\"members\":{\"n1\":\"http://127.0.0.1:8001\",\"n2\":null,"
                + "\"n3\":\"http://127.0.0.1:8003\"}"), hello);
        assertTrue(hello.contains("\"election_timeout_ms\":1000,\"heartbeat_ms\":100,\"request_timeout_ms\":10000,"
                + "\"snapshot_interval\":5000,\"dev_control\":\"http://127.0.0.1:9000\""), hello);
        assertTrue(LiveView.hello(config, java.util.Map.of(), null, 1).contains("\"dev_control\":null"));
    }

    @Test
    void aStateIsNotKeptForWatchersAfterTheLastOneLeft() {
        LiveView live = new LiveView("n1");
        Recorded first = new Recorded();
        live.watch(first);
        live.onTurn(10_000 * MS, time -> "{\"node\":\"n1\",\"t\":" + time + ",\"term\":1}");
        assertEquals(1, first.count("state"));
        live.unwatch(first);
        Recorded later = new Recorded();
        live.watch(later);
        assertEquals(0, later.count("state"), "a watcher an hour later is not shown an hour-old state");
    }

    private static Message heartbeat() {
        return new Message.Heartbeat(CLUSTER, "n1", "n2", 3, 7, 1);
    }
}
