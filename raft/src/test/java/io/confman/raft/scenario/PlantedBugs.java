package io.confman.raft.scenario;

import io.confman.raft.LogStorage;
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
}
