package io.confman.raft.scenario;

import io.confman.raft.LogStorage;
import io.confman.raft.Message;
import io.confman.raft.RaftConfig;
import io.confman.raft.RaftNode;
import io.confman.raft.SnapshotSource;
import java.util.random.RandomGenerator;

/**
 * Nodes with one of Raft's rules removed, built by overriding a decision of {@link RaftNode}
 * from test code. The scenarios use them to show what each rule prevents.
 */
final class PlantedBugs {

    private PlantedBugs() {
    }

    /** Commits any entry a majority holds, whatever its term: the mistake of Figure 8. */
    static final class CommitsOldTerms extends RaftNode {
        CommitsOldTerms(RaftConfig config, LogStorage storage, SnapshotSource snapshots, RandomGenerator random) {
            super(config, storage, snapshots, random);
        }

        @Override
        protected boolean isSafeToCommit(long index) {
            return true;
        }
    }

    /** Grants votes without the election restriction (thesis §3.6.1). */
    static final class VotesWithoutLogCheck extends RaftNode {
        VotesWithoutLogCheck(RaftConfig config, LogStorage storage, SnapshotSource snapshots, RandomGenerator random) {
            super(config, storage, snapshots, random);
        }

        @Override
        protected boolean candidateLogIsUpToDate(long lastLogIndex, long lastLogTerm) {
            return true;
        }
    }

    /** Votes for every candidate that asks, even twice in one term (breaks Figure 2, RequestVote step 2). */
    static final class VotesTwice extends RaftNode {
        VotesTwice(RaftConfig config, LogStorage storage, SnapshotSource snapshots, RandomGenerator random) {
            super(config, storage, snapshots, random);
        }

        @Override
        protected boolean canVoteFor(String candidateId) {
            return true;
        }
    }

    /** Sends every reply at once, before the vote or the entries it promises are durable (§3.8). */
    static final class RepliesBeforePersisting extends RaftNode {
        RepliesBeforePersisting(RaftConfig config, LogStorage storage, SnapshotSource snapshots, RandomGenerator random) {
            super(config, storage, snapshots, random);
        }

        @Override
        protected boolean mustPersistBeforeSending(Message message) {
            return false;
        }
    }
}
