package io.confman.raft.sim;

import io.confman.raft.Entry;
import io.confman.raft.MemorySnapshotStore;
import io.confman.raft.RaftConfig;
import io.confman.raft.RaftNode;
import io.confman.raft.Ready;
import io.confman.raft.ReadState;
import io.confman.raft.Role;
import io.confman.raft.SnapshotMetadata;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One simulated server: what survives a crash (its {@link SimDisk} and snapshot store) and
 * what does not (the core, the Ready waiting for its fsync, the state machine, the reads
 * waiting to be answered, and the {@link ShadowLog} the checkers read).
 */
final class SimNode {

    /** Bytes at the start of a simulated snapshot: the index and the state-machine hash. */
    static final int SNAPSHOT_HEADER_BYTES = 16;

    final String id;
    final RaftConfig config;
    final SimDisk disk;
    final MemorySnapshotStore snapshots = new MemorySnapshotStore();
    private final SplittableRandom random;

    // Volatile state: null or reset while the node is down.
    RaftNode raft;
    final ShadowLog shadow = new ShadowLog();
    /** The Ready handed out and waiting for its fsync, and when that completes. */
    Ready pending;
    long fsyncTick;
    /** The state machine: the hash chain of what was applied, and up to where. */
    long appliedIndex;
    long appliedChain = Hashes.EMPTY_CHAIN;
    /** Reads the core confirmed, waiting until the state machine reaches their index. */
    final List<ReadState> readsWaitingApply = new ArrayList<>();

    // What the last look at the core's status said.
    Role role = Role.FOLLOWER;
    long term;
    /** True while the node has led {@link #leaderTerm} since its previous Ready. */
    boolean leaderSinceReady;
    long leaderTerm;

    /** The tick a crashed node comes back at. */
    long restartTick;

    SimNode(RaftConfig config, SimDisk disk, SplittableRandom random) {
        this.id = config.id();
        this.config = config;
        this.disk = disk;
        this.random = random;
    }

    /** Node ids are n1, n2, ...; this is the 0-based number of one. */
    static int number(String id) {
        return Integer.parseInt(id, 1, id.length(), 10) - 1;
    }

    static String idOf(int number) {
        return "n" + (number + 1);
    }

    boolean isUp() {
        return raft != null;
    }

    boolean isLeader() {
        return raft != null && role == Role.LEADER;
    }

    SplittableRandom random() {
        return random;
    }

    /** Loses everything not on the disk. */
    void crash() {
        raft = null;
        pending = null;
        readsWaitingApply.clear();
        role = Role.FOLLOWER;
        leaderSinceReady = false;
    }

    /**
     * Applies one committed entry to the state machine. Returns its new value, the hash chain.
     */
    long apply(Entry entry) {
        if (entry.index() != appliedIndex + 1) {
            throw new IllegalStateException(id + " asked to apply " + entry + " after " + appliedIndex);
        }
        appliedChain = Hashes.chain(appliedChain, entry);
        appliedIndex = entry.index();
        return appliedChain;
    }

    /** The bytes of a snapshot of the state machine now, padded so it takes several chunks. */
    byte[] encodeSnapshot(int paddingBytes) {
        ByteBuffer buffer = ByteBuffer.allocate(SNAPSHOT_HEADER_BYTES + paddingBytes);
        buffer.putLong(appliedIndex).putLong(appliedChain);
        return buffer.array();
    }

    /** Restores the state machine from snapshot bytes; returns the index they stand at. */
    long restoreSnapshot(SnapshotMetadata snapshot, byte[] data) {
        ByteBuffer buffer = ByteBuffer.wrap(data);
        long index = buffer.getLong();
        if (index != snapshot.lastIncludedIndex()) {
            throw new IllegalStateException(id + ": snapshot " + snapshot + " holds a state machine at " + index);
        }
        appliedIndex = index;
        appliedChain = buffer.getLong();
        return index;
    }

    void resetStateMachine() {
        appliedIndex = 0;
        appliedChain = Hashes.EMPTY_CHAIN;
    }
}
