package io.confman.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.confman.raft.ClusterIdentity;
import io.confman.raft.Entry;
import io.confman.raft.Message;
import io.confman.raft.Message.AppendEntries;
import io.confman.raft.Message.AppendEntriesResponse;
import io.confman.raft.Message.Heartbeat;
import io.confman.raft.Message.HeartbeatResponse;
import io.confman.raft.Message.InstallSnapshot;
import io.confman.raft.Message.InstallSnapshotResponse;
import io.confman.raft.Message.PreVote;
import io.confman.raft.Message.PreVoteResponse;
import io.confman.raft.Message.RequestVote;
import io.confman.raft.Message.RequestVoteResponse;
import io.confman.raft.Message.TimeoutNow;
import io.confman.raft.SnapshotMetadata;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Random but reproducible messages of every type, for round-trip and exchange tests. */
final class RandomMessages {

    static final List<FrameType> MESSAGE_TYPES = List.of(FrameType.values()).stream()
            .filter(type -> !type.isHandshake() && !type.isNodeMessage()).toList();

    private RandomMessages() {
    }

    static Message of(FrameType type, Random random, ClusterIdentity cluster, String from,
                      String to) {
        long term = anyLong(random);
        switch (type) {
            case PRE_VOTE:
                return new PreVote(cluster, from, to, term, anyLong(random), anyLong(random));
            case PRE_VOTE_RESPONSE:
                return new PreVoteResponse(cluster, from, to, term, random.nextBoolean());
            case REQUEST_VOTE:
                return new RequestVote(cluster, from, to, term, anyLong(random), anyLong(random),
                        random.nextBoolean());
            case REQUEST_VOTE_RESPONSE:
                return new RequestVoteResponse(cluster, from, to, term, random.nextBoolean());
            case APPEND_ENTRIES:
                return appendEntries(random, cluster, from, to, term);
            case APPEND_ENTRIES_RESPONSE:
                return new AppendEntriesResponse(cluster, from, to, term, random.nextBoolean(),
                        anyLong(random), anyLong(random), anyLong(random), anyLong(random));
            case HEARTBEAT:
                return new Heartbeat(cluster, from, to, term, anyLong(random), anyLong(random));
            case HEARTBEAT_RESPONSE:
                return new HeartbeatResponse(cluster, from, to, term, anyLong(random));
            case INSTALL_SNAPSHOT:
                return new InstallSnapshot(cluster, from, to, term, snapshot(random),
                        anyLong(random), bytes(random, 2048), random.nextBoolean());
            case INSTALL_SNAPSHOT_RESPONSE:
                return new InstallSnapshotResponse(cluster, from, to, term, snapshot(random),
                        anyLong(random), random.nextBoolean());
            case TIMEOUT_NOW:
                return new TimeoutNow(cluster, from, to, term, anyLong(random), anyLong(random));
            default:
                throw new IllegalArgumentException("not a message type: " + type);
        }
    }

    private static AppendEntries appendEntries(Random random, ClusterIdentity cluster,
                                               String from, String to, long term) {
        long prevLogIndex = random.nextInt(1_000_000);
        int count = random.nextInt(6);
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long index = prevLogIndex + 1 + i;
            long entryTerm = 1 + random.nextInt(100);
            entries.add(random.nextInt(4) == 0 ? Entry.noOp(index, entryTerm)
                    : Entry.normal(index, entryTerm, bytes(random, 300)));
        }
        return new AppendEntries(cluster, from, to, term, prevLogIndex, anyLong(random), entries,
                anyLong(random));
    }

    private static SnapshotMetadata snapshot(Random random) {
        if (random.nextInt(5) == 0) {
            return SnapshotMetadata.EMPTY;
        }
        return new SnapshotMetadata(1 + random.nextInt(1 << 30), 1 + random.nextInt(1000),
                random.nextLong() & Long.MAX_VALUE);
    }

    /** Edge values often, so the property run covers sign bits and extremes. */
    static long anyLong(Random random) {
        switch (random.nextInt(6)) {
            case 0: return 0;
            case 1: return Long.MAX_VALUE;
            case 2: return Long.MIN_VALUE;
            case 3: return -1;
            default: return random.nextLong();
        }
    }

    static byte[] bytes(Random random, int lengthMax) {
        byte[] data = new byte[random.nextInt(lengthMax + 1)];
        random.nextBytes(data);
        return data;
    }

    /** Node ids with multi-byte UTF-8, so string lengths are counted in bytes, not chars. */
    static String id(Random random) {
        String[] alphabet = {"a", "z", "0", "-", "é", "ß", "日", "𝄞"};
        StringBuilder id = new StringBuilder();
        int length = 1 + random.nextInt(12);
        for (int i = 0; i < length; i++) {
            id.append(alphabet[random.nextInt(alphabet.length)]);
        }
        return id.toString();
    }

    /** Records compare arrays by reference, so InstallSnapshot's data is compared by hand. */
    static void assertSameMessage(Message expected, Message actual) {
        if (expected instanceof InstallSnapshot e && actual instanceof InstallSnapshot a) {
            assertEquals(e.cluster(), a.cluster());
            assertEquals(e.from(), a.from());
            assertEquals(e.to(), a.to());
            assertEquals(e.term(), a.term());
            assertEquals(e.snapshot(), a.snapshot());
            assertEquals(e.offset(), a.offset());
            assertEquals(e.done(), a.done());
            assertArrayEquals(e.data(), a.data());
        } else {
            assertEquals(expected, actual);
        }
    }

    static boolean sameMessage(Message expected, Message actual) {
        try {
            assertSameMessage(expected, actual);
            return true;
        } catch (AssertionError e) {
            return false;
        }
    }
}
