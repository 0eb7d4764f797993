package io.confman.raft.sim;

import io.confman.raft.LogStorage;
import io.confman.raft.RaftConfig;
import io.confman.raft.RaftNode;
import io.confman.raft.SnapshotSource;
import java.util.random.RandomGenerator;

/**
 * Builds the core of a simulated node at start and at every restart. The simulator uses the
 * real {@link RaftNode}; tests pass a factory of a subclass with one of Raft's rules removed,
 * to show that the simulator catches the bug. Production code never sees this seam.
 */
@FunctionalInterface
public interface NodeFactory {

    RaftNode create(RaftConfig config, LogStorage storage, SnapshotSource snapshots, RandomGenerator random);

    /** The real core. */
    NodeFactory REAL = RaftNode::new;
}
