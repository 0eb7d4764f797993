package io.confman.bench.raft;

import io.confman.bench.store.CommandCodecBenchmark;
import io.confman.raft.Entry;
import io.confman.raft.MemoryLogStorage;
import io.confman.raft.Message;
import io.confman.raft.ProposeResult;
import io.confman.raft.RaftConfig;
import io.confman.raft.RaftNode;
import io.confman.raft.Ready;
import io.confman.raft.Role;
import io.confman.raft.SnapshotMetadata;
import io.confman.raft.SnapshotSource;
import io.confman.store.command.CommandCodec;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Throughput of the Raft core alone: proposals committed per second by a cluster of
 * {@code nodes} {@link RaftNode}s (default 3) with {@link MemoryLogStorage} as their disks and
 * a message loop in memory, on one thread, with no network, no fsync and no faults. Each node
 * is driven as the server's loop drives it (raft/PROTOCOL.md, "The runtime handles a Ready in
 * this order"): step the messages waiting for it, then take its Readies, persist them to its
 * storage, hand their messages to the receivers' queues, apply the committed entries, and
 * advance. Every proposal is a put of a {@code valueBytes}-byte value as the config store
 * encodes it; the config is {@code RaftConfig.defaults}, the one a node runs with.
 *
 * <ul>
 *   <li>{@code oneAtATime}: one proposal, then the loop runs until the cluster is quiet (the
 *       entry committed and applied on every node): a client that waits for each write;</li>
 *   <li>{@code batches64}: {@link #BATCH_PROPOSALS} proposals at once, then the same: a busy
 *       leader, where one round of AppendEntries and one Ready carry many entries.</li>
 * </ul>
 *
 * <p>The score is committed proposals per second. The cluster's simulator
 * ({@code io.confman.raft.sim}) runs the same core but proposes at most one command per
 * simulated tick and checks every safety property after each step, so its rate is the
 * checkers', not the core's; this loop has neither. Ticks are not driven (no timer fires), so
 * no heartbeat or election interferes; the log is compacted every
 * {@link #COMPACTION_INTERVAL_ENTRIES} entries, as a node taking snapshots would, so a long
 * run keeps a bounded heap.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class RaftCoreBenchmark {
    /** Proposals per call of {@link #batches64}. */
    static final int BATCH_PROPOSALS = 64;
    /** Entries between compactions of every node's log. */
    static final long COMPACTION_INTERVAL_ENTRIES = 65_536;

    @Param("3")
    public int nodes;

    @Param("100")
    public int valueBytes;

    private final List<Member> members = new ArrayList<>();
    private final Map<String, Member> byId = new HashMap<>();
    private Member leader;
    private byte[] command;
    private long lastProposed;

    /** One node: its core, its disk, the messages waiting for it, and what it applied. */
    private static final class Member {
        final RaftNode raft;
        final MemoryLogStorage storage;
        final ArrayDeque<Message> inbox = new ArrayDeque<>();
        long applied;

        Member(RaftNode raft, MemoryLogStorage storage) {
            this.raft = raft;
            this.storage = storage;
        }
    }

    @Setup(Level.Trial)
    public void elect() {
        members.clear();
        byId.clear();
        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= nodes; i++) {
            ids.add("n" + i);
        }
        for (String id : ids) {
            MemoryLogStorage storage = new MemoryLogStorage();
            Member member = new Member(new RaftNode(RaftConfig.defaults(id, ids), storage, SnapshotSource.NONE,
                    new SplittableRandom(ids.indexOf(id))), storage);
            members.add(member);
            byId.put(id, member);
        }
        leader = members.get(0);
        leader.raft.campaign();
        settle();
        if (leader.raft.role() != Role.LEADER) {
            throw new IllegalStateException("n1 campaigned alone and is " + leader.raft.role());
        }
        byte[] value = new byte[valueBytes];
        new Random(42).nextBytes(value);
        command = CommandCodec.encode(CommandCodecBenchmark.typicalPut(value));
        lastProposed = leader.applied; // The new leader's no-op.
    }

    @Benchmark
    public long oneAtATime() {
        propose();
        return commit();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH_PROPOSALS)
    public long batches64() {
        for (int i = 0; i < BATCH_PROPOSALS; i++) {
            propose();
        }
        return commit();
    }

    private void propose() {
        ProposeResult result = leader.raft.propose(command);
        if (!(result instanceof ProposeResult.Accepted accepted)) {
            throw new IllegalStateException("the leader refused a proposal: " + result);
        }
        lastProposed = accepted.index();
    }

    /** Runs the loop until the cluster is quiet, checks that everything proposed was applied everywhere. */
    private long commit() {
        settle();
        for (Member member : members) {
            if (member.applied != lastProposed) {
                throw new IllegalStateException(member.raft.status().id() + " applied " + member.applied
                        + " of " + lastProposed + " proposed");
            }
        }
        if (lastProposed - leader.storage.firstIndex() >= COMPACTION_INTERVAL_ENTRIES) {
            for (Member member : members) {
                member.storage.compact(new SnapshotMetadata(member.applied, member.storage.term(member.applied), 0));
            }
        }
        return lastProposed;
    }

    /** Rounds of "each node steps its messages, then handles its Readies" until no node has anything to do. */
    private void settle() {
        boolean busy = true;
        while (busy) {
            busy = false;
            for (Member member : members) {
                Message message;
                while ((message = member.inbox.poll()) != null) {
                    member.raft.step(message);
                }
                while (member.raft.hasReady()) {
                    busy = true;
                    handle(member, member.raft.ready());
                }
            }
        }
    }

    private void handle(Member member, Ready ready) {
        deliver(ready.messages());
        member.storage.persist(ready);
        deliver(ready.messagesAfterPersist());
        List<Entry> committed = ready.committedEntries();
        if (!committed.isEmpty()) {
            member.applied = committed.get(committed.size() - 1).index();
        }
        if (!ready.rejectedMessages().isEmpty() || ready.snapshotToInstall() != null) {
            throw new IllegalStateException(member.raft.status().id() + " rejected messages or installed a snapshot,"
                    + " which a cluster without faults never does: " + ready);
        }
        member.raft.advance(ready);
    }

    private void deliver(List<Message> messages) {
        for (Message message : messages) {
            byId.get(message.to()).inbox.add(message);
        }
    }

    /** The index of the last proposal and the index each node applied, for the smoke test. */
    long lastProposed() {
        return lastProposed;
    }

    List<Long> appliedIndexes() {
        return members.stream().map(member -> member.applied).toList();
    }
}
