package io.confman.node;

import io.confman.raft.Message;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;
import java.util.function.LongSupplier;

/**
 * The node's side of the live view (LIVEVIEW.md section 2): what the loop publishes to the
 * watchers of {@code GET /v1/events}. The loop asks {@link #watched()} (one volatile read)
 * before it builds anything, so a node nobody watches pays nothing more. When watched, every
 * kind of frame is bounded: states at most {@link #STATES_PER_S} a second (and again every
 * {@link #STATE_REFRESH_NANOS} so that a watcher that missed one catches up), message
 * samples at most {@link #MESSAGES_PER_S} and events at most {@link #EVENTS_PER_S}; the rest
 * is counted as skipped. The {@code on...} methods run on the loop thread only (package-private,
 * so the HTTP layer can only watch and unwatch).
 */
public final class LiveView {

    public static final int STATES_PER_S = 10;
    public static final int MESSAGES_PER_S = 20;
    public static final int EVENTS_PER_S = 50;
    /** Watchers at once; one more is refused (a browser tab holds one stream per member). */
    public static final int WATCHERS_MAX = 32;
    static final long STATE_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1) / STATES_PER_S;
    static final long STATE_REFRESH_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final long SECOND_NANOS = TimeUnit.SECONDS.toNanos(1);

    /**
     * One open event stream. {@link #offer} never blocks: a watcher whose connection is full
     * returns false, and the frame is lost to it (the next state replaces a lost one). The
     * frame is the server-sent-events text {@code event: E\ndata: JSON\n\n} in UTF-8, encoded
     * once for all watchers; a watcher must not change it.
     */
    public interface Watcher {
        boolean offer(byte[] frame);
    }

    private final String nodeId;
    private final LongSupplier nanoClock;
    private final CopyOnWriteArrayList<Watcher> watchers = new CopyOnWriteArrayList<>();
    /** The last state sent and when, for new watchers and to send only changes. Written by the loop. */
    private volatile SentState lastState;
    private long lastStateNanos;
    private long lastStateSentNanos;
    private final PerSecond messages = new PerSecond(MESSAGES_PER_S);
    private final PerSecond events = new PerSecond(EVENTS_PER_S);

    public LiveView(String nodeId) {
        this(nodeId, System::nanoTime);
    }

    /** With the clock {@link #watch} judges the last state's age by (tests move it by hand). */
    LiveView(String nodeId, LongSupplier nanoClock) {
        this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    }

    /**
     * The first frame of a stream (LIVEVIEW.md section 2): the members and their client URLs
     * ({@code null} where not known yet), the timing the page draws, the dev controller.
     */
    public static String hello(NodeConfig config, Map<String, String> clientUrls, String devControl, long timeMs) {
        StringBuilder members = new StringBuilder("{");
        for (String id : new TreeMap<>(config.members()).keySet()) {
            if (members.length() > 1) {
                members.append(',');
            }
            members.append(JsonStrings.quote(id)).append(':').append(JsonStrings.quote(clientUrls.get(id)));
        }
        members.append('}');
        return "{\"node\":" + JsonStrings.quote(config.id()) + ",\"t\":" + timeMs
                + ",\"members\":" + members
                + ",\"election_timeout_ms\":" + config.electionTimeoutMs()
                + ",\"heartbeat_ms\":" + config.heartbeatMs()
                + ",\"request_timeout_ms\":" + config.requestTimeoutMs()
                + ",\"snapshot_interval\":" + config.snapshotIntervalEntries()
                + ",\"dev_control\":" + JsonStrings.quote(devControl)
                + ",\"limits\":{\"states_per_s\":" + STATES_PER_S + ",\"messages_per_s\":" + MESSAGES_PER_S
                + ",\"events_per_s\":" + EVENTS_PER_S + "}}";
    }

    /** Adds a watcher and gives it the latest state at once; false when WATCHERS_MAX watch already. */
    public synchronized boolean watch(Watcher watcher) {
        if (watchers.size() >= WATCHERS_MAX) {
            return false;
        }
        watchers.add(watcher);
        SentState state = lastState;
        // An old one (the loop may have set it just as the last watcher left) is not shown
        // as the present: the next refresh comes within STATE_REFRESH_NANOS anyway.
        if (state != null && nanoClock.getAsLong() - state.sentNanos() < STATE_REFRESH_NANOS) {
            watcher.offer(frame("state", state.json()));
        }
        return true;
    }

    public synchronized void unwatch(Watcher watcher) {
        watchers.remove(watcher);
        if (watchers.isEmpty()) {
            // A watcher that comes much later must not be shown this old state as the present.
            lastState = null;
        }
    }

    /** One volatile read (the list's array): the question the loop asks before building anything. */
    public boolean watched() {
        return !watchers.isEmpty();
    }

    public int watcherCount() {
        return watchers.size();
    }

    /**
     * At the end of a loop turn: when a state is due, builds it with {@code state} (given the
     * wall clock in ms) and sends it if it changed, or if the last one is old.
     */
    void onTurn(long nowNanos, LongFunction<String> state) {
        if (!watched() || nowNanos - lastStateNanos < STATE_INTERVAL_NANOS) {
            return;
        }
        lastStateNanos = nowNanos;
        String json = state.apply(System.currentTimeMillis());
        SentState previous = lastState;
        boolean stale = nowNanos - lastStateSentNanos >= STATE_REFRESH_NANOS;
        // The time field differs on every build: compare what follows it.
        if (previous != null && !stale && withoutTime(previous.json()).equals(withoutTime(json))) {
            return;
        }
        lastState = new SentState(json, nowNanos);
        lastStateSentNanos = nowNanos;
        broadcast("state", json);
    }

    /** A Raft message this node sends: sampled, at most MESSAGES_PER_S a second. */
    void onMessage(long nowNanos, Message message) {
        if (!watched() || !messages.take(nowNanos)) {
            return;
        }
        broadcast("message", LiveJson.message(nodeId, System.currentTimeMillis(), message, messages.skipped()));
    }

    /**
     * Something that happened ({@code kind}: role-change, leader-change, election,
     * snapshot-taken, snapshot-installed); {@code fields} are name/value pairs, values
     * numbers or strings (null allowed). At most EVENTS_PER_S a second.
     */
    void onEvent(long nowNanos, String kind, Object... fields) {
        if (!watched() || !events.take(nowNanos)) {
            return;
        }
        broadcast("event", LiveJson.event(nodeId, System.currentTimeMillis(), kind, events.skipped(), fields));
    }

    private void broadcast(String event, String json) {
        byte[] frame = frame(event, json);
        for (Watcher watcher : watchers) {
            watcher.offer(frame);
        }
    }

    /** One server-sent event; {@code json} holds no line break (LiveJson escapes them). */
    public static byte[] frame(String event, String json) {
        return ("event: " + event + "\ndata: " + json + "\n\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** A state's JSON after its leading {@code {"node":...,"t":N,} }: what a change is judged by. */
    private static String withoutTime(String json) {
        int comma = json.indexOf(',', json.indexOf("\"t\":"));
        return comma < 0 ? json : json.substring(comma);
    }

    /** A state frame's JSON and the System.nanoTime at which it was sent. */
    private record SentState(String json, long sentNanos) {
    }

    /** A cap of {@code max} frames in each second; what it refuses is counted until the next one passes. */
    private static final class PerSecond {
        private final int max;
        private long windowStartNanos;
        // Invariant: 0 <= taken <= max.
        private int taken;
        private long skipped;

        PerSecond(int max) {
            this.max = max;
        }

        /** True when a frame may go now; false counts it as skipped. */
        boolean take(long nowNanos) {
            if (nowNanos - windowStartNanos >= SECOND_NANOS) {
                windowStartNanos = nowNanos;
                taken = 0;
            }
            if (taken >= max) {
                skipped++;
                return false;
            }
            taken++;
            return true;
        }

        /** The frames refused since the last one taken, reset to 0: the count the taken one reports. */
        long skipped() {
            long count = skipped;
            skipped = 0;
            return count;
        }
    }
}
