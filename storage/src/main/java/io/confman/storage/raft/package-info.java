/**
 * The durable storage a node runtime gives the Raft core: {@link
 * io.confman.storage.raft.DurableLogStorage} (the core's {@link io.confman.raft.LogStorage},
 * over the write-ahead log and the metadata file) and {@link
 * io.confman.storage.raft.SnapshotStore} (the core's {@link io.confman.raft.SnapshotSource},
 * over snapshot files). The data directory and the snapshot file format are specified in
 * {@code storage/FORMAT.md} section 8.
 *
 * <p>A node's loop, on the one thread that owns the node (raft/PROTOCOL.md, "The runtime
 * handles a Ready in this order"):
 *
 * <pre>{@code
 * DurableLogStorage storage = DurableLogStorage.open(dir, config.clusterIdentity(), config.id(), options);
 * stateMachine.restore(storage.snapshots().openBody(storage.snapshot()));   // if there is a snapshot
 * RaftNode node = new RaftNode(config, storage, storage.snapshots(), random);
 * while (node.hasReady()) {
 *     Ready ready = node.ready();
 *     transport.send(ready.messages());               // before the write: thesis §10.2.1
 *     SnapshotMetadata installed = storage.persist(ready); // durable on return
 *     if (installed != null) {
 *         stateMachine.restore(storage.snapshots().openBody(installed)); // read it to the end
 *     }
 *     transport.send(ready.messagesAfterPersist());   // only now: thesis §3.8
 *     ready.committedEntries().forEach(stateMachine::apply);
 *     node.advance(ready);
 * }
 * // From time to time, between Readys, at the applied index:
 * storage.takeSnapshot(appliedIndex, stateMachine::writeSnapshot);
 * }</pre>
 *
 * <p>An exception from {@code persist} or {@code takeSnapshot} leaves the storage failed for
 * good: the node must stop and restart, which runs recovery (FORMAT.md sections 4 and 8.6).
 */
package io.confman.storage.raft;
