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
        public boolean offer(String event, String json) {
            if (full) {
                return false;
            }
            frames.add(event + " " + json);
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
        LiveView live = new LiveView("n1");
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
        Recorded late = new Recorded();
        live.watch(late);
        assertEquals(1, late.count("state"), "a new watcher gets the latest state at once");
        assertTrue(late.frames.get(0).contains("\"term\":2"));
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

    private static Message heartbeat() {
        return new Message.Heartbeat(CLUSTER, "n1", "n2", 3, 7, 1);
    }
}
