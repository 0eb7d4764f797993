package io.confman.raft.sim;

import io.confman.raft.Entry;
import io.confman.raft.HardState;
import io.confman.raft.LogStorage;
import io.confman.raft.Message;
import io.confman.raft.RaftConfig;
import io.confman.raft.RaftNode;
import io.confman.raft.ReadState;
import io.confman.raft.Ready;
import io.confman.raft.Role;
import io.confman.raft.SnapshotSource;
import io.confman.raft.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * Raft's rules, removed one at a time from test code, to show that the simulator catches each
 * removal. Most override one of the decisions {@link RaftNode} exposes to subclasses; the
 * others wrap its public inputs and outputs, or plant the bug in the simulated disk, where a
 * real runtime's storage layer would have it. None touches the production path.
 */
public enum PlantedBugs {

    /** §3.6.1: a voter grants its vote without checking that the candidate's log is up to date. */
    VOTE_WITHOUT_LOG_CHECK("RaftNode subclass: candidateLogIsUpToDate() returns true",
            (c, s, snap, r) -> new RaftNode(c, s, snap, r) {
                @Override
                protected boolean candidateLogIsUpToDate(long lastLogIndex, long lastLogTerm) {
                    return true;
                }
            }, SimDisk::new),

    /** §3.6.2, Figure 8: the leader commits an entry of an older term by counting replicas. */
    COMMIT_OLD_TERM_BY_COUNT("RaftNode subclass: isSafeToCommit() returns true",
            (c, s, snap, r) -> new RaftNode(c, s, snap, r) {
                @Override
                protected boolean isSafeToCommit(long index) {
                    return true;
                }
            }, SimDisk::new),

    /**
     * §3.4: a follower grants a second vote in a term it already voted in (a candidate still
     * keeps its vote for itself, so the core's own invariant does not fire first).
     */
    VOTE_TWICE_IN_A_TERM("RaftNode subclass: canVoteFor() is true unless the node voted for itself",
            (c, s, snap, r) -> new RaftNode(c, s, snap, r) {
                @Override
                protected boolean canVoteFor(String candidateId) {
                    return !c.id().equals(status().votedFor());
                }
            }, SimDisk::new),

    /** §3.8: votes and acknowledgements go out before the term, vote and entries are durable. */
    REPLY_BEFORE_PERSIST("RaftNode subclass: mustPersistBeforeSending() returns false",
            (c, s, snap, r) -> new RaftNode(c, s, snap, r) {
                @Override
                protected boolean mustPersistBeforeSending(Message message) {
                    return false;
                }
            }, SimDisk::new),

    /** §6.4: ReadIndex answered from the leader's commitIndex at once, with no heartbeat round. */
    READ_INDEX_WITHOUT_HEARTBEAT("RaftNode subclass: readIndex() on a leader answers its commitIndex at once",
            ReadsWithoutHeartbeat::new, SimDisk::new),

    /** Figure 2, AppendEntries step 3: a conflicting suffix is overwritten but never truncated. */
    DISK_KEEPS_CONFLICTING_SUFFIX("SimDisk subclass: writeEntries() overwrites in place and keeps the old tail",
            NodeFactory.REAL, KeepsConflictingSuffix::new),

    /** Figure 2, persistent state: the disk writes the term but loses votedFor. */
    DISK_LOSES_VOTE("SimDisk subclass: writeHardState() drops votedFor",
            NodeFactory.REAL, LosesVote::new);

    private final String howPlanted;
    private final NodeFactory factory;
    private final Supplier<SimDisk> disks;

    PlantedBugs(String howPlanted, NodeFactory factory, Supplier<SimDisk> disks) {
        this.howPlanted = howPlanted;
        this.factory = factory;
        this.disks = disks;
    }

    public String howPlanted() {
        return howPlanted;
    }

    public NodeFactory factory() {
        return factory;
    }

    public Supplier<SimDisk> disks() {
        return disks;
    }

    // ---------------------------------------------------------------- the bugs that need more than one override

    /**
     * A leader answers ReadIndex with its commitIndex at once: no heartbeat round to confirm it
     * still leads, and no wait for an entry of its own term to commit (§6.4 steps 1 to 3).
     * The answer rides on the next Ready, which wraps the core's own.
     */
    static final class ReadsWithoutHeartbeat extends RaftNode {
        private static final Ready EMPTY = new Ready(null, List.of(), List.of(), List.of(), List.of(),
                List.of(), null, List.of(), List.of(), List.of());
        private final List<ReadState> answered = new ArrayList<>();
        private Ready outer;
        private Ready inner;

        ReadsWithoutHeartbeat(RaftConfig config, LogStorage storage, SnapshotSource snapshots, RandomGenerator random) {
            super(config, storage, snapshots, random);
        }

        @Override
        public void readIndex(byte[] context) {
            Status status = status();
            if (status.role() == Role.LEADER) {
                answered.add(new ReadState(context.clone(), status.commitIndex()));
            } else {
                super.readIndex(context);
            }
        }

        @Override
        public boolean hasReady() {
            return outer == null && (!answered.isEmpty() || super.hasReady());
        }

        @Override
        public Ready ready() {
            inner = super.hasReady() ? super.ready() : null;
            Ready base = inner != null ? inner : EMPTY;
            List<ReadState> readStates = new ArrayList<>(base.readStates());
            readStates.addAll(answered);
            answered.clear();
            outer = new Ready(base.hardState(), base.entries(), base.messages(), base.messagesAfterPersist(),
                    base.committedEntries(), base.snapshotChunks(), base.snapshotToInstall(), readStates,
                    base.failedReads(), base.rejectedMessages());
            return outer;
        }

        @Override
        public void advance(Ready ready) {
            if (ready != outer) {
                throw new IllegalArgumentException("advance() takes the Ready of the last ready() call");
            }
            outer = null;
            if (inner != null) {
                Ready handed = inner;
                inner = null;
                super.advance(handed);
            }
        }
    }

    /** Writes new entries over the old ones but never drops the stored entries past them. */
    static final class KeepsConflictingSuffix extends SimDisk {
        @Override
        protected void writeEntries(List<Entry> newEntries) {
            if (newEntries.isEmpty()) {
                return;
            }
            // Overwrite in place: the new entries replace those at their indexes, and any
            // older entry past the last new one stays, as if the disk never truncated.
            long lastNew = newEntries.get(newEntries.size() - 1).index();
            List<Entry> written = new ArrayList<>(newEntries);
            if (lastIndex() > lastNew) {
                written.addAll(entries(lastNew + 1, lastIndex() + 1, Long.MAX_VALUE));
            }
            super.writeEntries(written);
        }
    }

    /** Persists the term and commit index but not the vote. */
    static final class LosesVote extends SimDisk {
        @Override
        protected void writeHardState(HardState state) {
            super.writeHardState(new HardState(state.term(), null, state.commitIndex()));
        }
    }
}
