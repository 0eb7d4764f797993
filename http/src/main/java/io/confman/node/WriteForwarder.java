package io.confman.node;

import io.confman.raft.ProposeResult;
import io.confman.store.ApplyResult;
import io.confman.store.StoreLimits;
import io.confman.store.command.Command;
import io.confman.store.command.CommandCodec;
import io.confman.store.command.RequestId;
import io.confman.transport.NodeMessage;
import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * The client writes a node waits for (NODE.md, "Forwarding"): each gets a request id of
 * this node's own client session (STORE.md, client sessions), is proposed here when this
 * node leads or forwarded to the leader, sent again when the leader changes or does not
 * answer, and answered when this node applies an entry carrying its request id, wherever
 * the entry was proposed. So a write is answered after this node's own store applied it
 * (read-your-writes here).
 *
 * <p>Loop-confined: the node's loop thread makes every call. It reads no clock; callers pass
 * the time. No I/O: {@link Leadership} proposes and sends.
 */
final class WriteForwarder {

    /** What the forwarder needs of the node: the leader as the core knows it, and two ways to send. */
    interface Leadership {
        /** The leader the core knows, or null. */
        String leaderId();

        long term();

        /** Proposes the command to this node's core, which leads. */
        ProposeResult propose(byte[] command);

        /** Sends the command to {@code leader} as a ForwardWrite of {@code term}; a lost message is retried. */
        void forward(String leader, long term, byte[] command);
    }

    /** One client write; the node creates it and the forwarder owns it from {@link #add} on. */
    static final class PendingWrite {
        /** The command as the caller gave it; encoded once the loop gave it a request id. */
        final Command unencoded;
        final CompletableFuture<ApplyResult> future;
        final long arrivedNanos;
        final long deadlineNanos;
        RequestId requestId;
        byte[] command;
        /** The leader it was last proposed to or forwarded to; null while it must be (re)sent. */
        String sentTo;
        long sentTerm;
        long sentNanos;
        /** Copies sent anywhere; with one or more the write may commit, and is never failed as such. */
        int sends;
        /** The leader said it appended the last copy; only a leader change sends it again then. */
        boolean acknowledged;
        /** Why a leader last refused a copy, or null: the answer if no copy is ever accepted. */
        RuntimeException refusal;

        PendingWrite(Command unencoded, CompletableFuture<ApplyResult> future, long arrivedNanos, long deadlineNanos) {
            this.unencoded = unencoded;
            this.future = future;
            this.arrivedNanos = arrivedNanos;
            this.deadlineNanos = deadlineNanos;
        }
    }

    /** A pending write's key: its request id without firstOutstanding. */
    private record WriteKey(long clientId, long sequence) {
        static WriteKey of(RequestId id) {
            return new WriteKey(id.clientId(), id.sequence());
        }
    }

    private final String nodeId;
    private final Leadership leadership;
    private final long electionTimeoutNanos;
    private final long retryNanos;
    /** The client id of this node's own session: random per process start (the caller picks it). */
    private final long sessionClientId;
    /** The last sequence number of this node's own session. */
    private long sessionSequence;
    /** Writes by request id, in arrival order, which is deadline order (one request timeout for all). */
    private final LinkedHashMap<WriteKey, PendingWrite> pending = new LinkedHashMap<>();
    /** Invariant: exactly the sequences of this node's own session in {@link #pending}; lowest first. */
    private final TreeSet<Long> ownOutstanding = new TreeSet<>();

    /**
     * @param retryNanos how long a copy may go unacknowledged before it is sent again
     */
    WriteForwarder(String nodeId, Leadership leadership, long electionTimeoutNanos, long retryNanos,
                   long sessionClientId) {
        if (sessionClientId == 0) {
            throw new IllegalArgumentException("client id 0 means no session");
        }
        this.nodeId = nodeId;
        this.leadership = leadership;
        this.electionTimeoutNanos = electionTimeoutNanos;
        this.retryNanos = retryNanos;
        this.sessionClientId = sessionClientId;
    }

    int size() {
        return pending.size();
    }

    boolean isEmpty() {
        return pending.isEmpty();
    }

    /**
     * Takes a new write: a command without a session gets the next request id of this node's
     * session, with firstOutstanding the lowest sequence still pending here (so every retry
     * stays at or above it); a command with a session keeps it, and one whose request id is
     * already pending here is refused, since both would be answered with the first's result.
     * Then the write is sent.
     */
    void add(PendingWrite write, long nowNanos) {
        if (write.unencoded.requestId().hasSession()) {
            write.requestId = write.unencoded.requestId();
            if (pending.containsKey(WriteKey.of(write.requestId))) {
                write.future.completeExceptionally(new NodeException.Rejected("a write with request id "
                        + write.requestId + " is already in flight on node " + nodeId));
                return;
            }
        } else {
            if (!ownOutstanding.isEmpty()
                    && sessionSequence + 1 - ownOutstanding.first() >= StoreLimits.RESULTS_PER_SESSION_MAX) {
                // The store would have to forget the oldest pending write's result (STORE.md,
                // session bounds) and its retry would be stale: wait until it is answered.
                write.future.completeExceptionally(new NodeException.Overloaded("write " + ownOutstanding.first()
                        + " of node " + nodeId + " is still pending " + StoreLimits.RESULTS_PER_SESSION_MAX
                        + " writes later"));
                return;
            }
            long sequence = ++sessionSequence;
            ownOutstanding.add(sequence);
            write.requestId = new RequestId(sessionClientId, sequence, ownOutstanding.first());
        }
        write.command = CommandCodec.encode(withRequestId(write.unencoded, write.requestId));
        pending.put(WriteKey.of(write.requestId), write);
        send(write, nowNanos);
    }

    /**
     * Proposes the write here when this node leads, or forwards it to the leader it knows. With
     * no leader known it waits; a write never sent anywhere fails with {@code NotLeader} once
     * an election timeout passed without a leader (nothing can commit it, so the failure is
     * certain), while a write sent before waits for its deadline (outcome unknown).
     */
    private void send(PendingWrite write, long nowNanos) {
        String leader = leadership.leaderId();
        if (leader == null) {
            if (write.sends == 0 && nowNanos - write.arrivedNanos > electionTimeoutNanos) {
                remove(write);
                write.future.completeExceptionally(certainFailure(write));
            }
            return;
        }
        long term = leadership.term();
        write.sentTo = leader;
        write.sentTerm = term;
        write.sentNanos = nowNanos;
        write.acknowledged = false;
        if (!leader.equals(nodeId)) {
            write.sends++;
            leadership.forward(leader, term, write.command);
            return;
        }
        ProposeResult result = leadership.propose(write.command);
        if (result instanceof ProposeResult.Accepted) {
            write.sends++;
            write.acknowledged = true;
        } else if (result instanceof ProposeResult.Rejected rejected) {
            write.sends++;
            refuseCopy(write, new NodeException.Rejected(rejected.reason()));
        } else {
            throw new IllegalStateException("unknown propose result " + result);
        }
    }

    /**
     * Sends again every write whose leader or term changed since its last copy, that waits
     * for a leader, or whose copy got no acknowledgement within the retry time.
     */
    void retry(long nowNanos) {
        String leader = leadership.leaderId();
        long term = leadership.term();
        for (PendingWrite write : List.copyOf(pending.values())) {
            boolean leaderMoved = write.sentTo != null && (!write.sentTo.equals(leader) || write.sentTerm != term);
            boolean unanswered = !write.acknowledged && nowNanos - write.sentNanos > retryNanos;
            if (write.sentTo == null || leaderMoved || unanswered) {
                send(write, nowNanos);
            }
        }
    }

    /**
     * A leader's answer to a forwarded copy. Only an answer from the leader and term of the
     * last copy counts: an answer to an older copy (another leader, or the same one in an
     * earlier term, whose entry a later term may have truncated) must not stop the retries.
     */
    void onResponse(NodeMessage.ForwardWriteResponse response) {
        PendingWrite write = pending.get(new WriteKey(response.clientId(), response.sequence()));
        if (write == null || !response.from().equals(write.sentTo) || response.term() != write.sentTerm) {
            return;
        }
        switch (response.outcome()) {
            case OK -> write.acknowledged = true;
            case NOT_LEADER, LEADERSHIP_LOST -> write.sentTo = null; // Send again once a leader is known.
            case REJECTED -> refuseCopy(write, new NodeException.Rejected(response.detail()));
            case OVERLOADED -> refuseCopy(write, new NodeException.Overloaded("leader " + response.from()
                    + ": " + response.detail()));
            case INVALID -> {
                // This copy was not proposed. An earlier copy accepted by another leader (one
                // with other limits, or another version) may still commit, so the write fails
                // at once only when no copy is left; otherwise its deadline answers Timeout.
                refuseCopy(write, new IllegalArgumentException("leader " + response.from()
                        + " refused the command: " + response.detail()));
                if (write.sends == 0) {
                    remove(write);
                    write.future.completeExceptionally(write.refusal);
                }
            }
        }
    }

    /**
     * A leader refused the last copy of the write (a leadership transfer under way, thesis
     * §3.10, or its uncommitted-bytes bound). The write is sent again when the leader changes
     * or after the retry time, since a transfer ends within an election timeout. When no other
     * copy was ever sent, nothing can commit it: it counts as never sent, so its deadline
     * fails it with the refusal (HTTP 503) rather than as outcome unknown.
     */
    private void refuseCopy(PendingWrite write, RuntimeException refusal) {
        write.sends--;
        if (write.sends < 0) {
            throw new IllegalStateException("write " + write.requestId + " has more refused copies than copies sent");
        }
        write.acknowledged = false;
        write.refusal = refusal;
    }

    /** The answer for a write no leader holds a copy of: the last refusal, or no leader known. */
    private RuntimeException certainFailure(PendingWrite write) {
        return write.refusal != null ? write.refusal : new NodeException.NotLeader(nodeId, null);
    }

    /** Answers the write whose request id the applied {@code command} carries, if it is pending here. */
    void applied(byte[] command, ApplyResult result) {
        if (pending.isEmpty()) {
            return;
        }
        RequestId requestId = peekRequestId(command);
        PendingWrite write = pending.get(WriteKey.of(requestId));
        if (write != null) {
            remove(write);
            write.future.complete(result);
        }
    }

    /**
     * This node installed a snapshot: a write sent from here may have committed inside it,
     * where this node never sees its entry applied. Such writes are sent again; the store's
     * session answers a copy already applied with the first result (thesis §6.3).
     */
    void snapshotInstalled() {
        for (PendingWrite write : pending.values()) {
            if (write.sends > 0) {
                write.sentTo = null;
            }
        }
    }

    /**
     * Whether {@link #expire} would fail a write now: the oldest one is past its deadline
     * (writes are pending in the order the loop took them, which is their deadlines' order).
     */
    boolean anyExpired(long nowNanos) {
        Iterator<PendingWrite> writes = pending.values().iterator();
        return writes.hasNext() && nowNanos - writes.next().deadlineNanos > 0;
    }

    /**
     * Fails the writes past their deadline: with {@code timeout} (outcome unknown) when a copy
     * may still commit, otherwise with the certain failure (the last refusal, or no leader).
     */
    void expire(long nowNanos, RuntimeException timeout) {
        Iterator<PendingWrite> writes = pending.values().iterator();
        while (writes.hasNext()) {
            PendingWrite write = writes.next();
            if (nowNanos - write.deadlineNanos <= 0) {
                break;
            }
            writes.remove();
            forgetOwn(write);
            write.future.completeExceptionally(write.sends == 0 ? certainFailure(write) : timeout);
        }
    }

    /** Fails every write (the node stops). */
    void failAll(RuntimeException stopped) {
        List<PendingWrite> all = List.copyOf(pending.values());
        pending.clear();
        ownOutstanding.clear();
        all.forEach(write -> write.future.completeExceptionally(stopped));
    }

    /** The firstOutstanding the next write of this node's session would carry, for tests. */
    long firstOutstanding() {
        return ownOutstanding.isEmpty() ? sessionSequence + 1 : ownOutstanding.first();
    }

    /**
     * STYLE 7: the invariant written on ownOutstanding, checked in O(log n) on every loop turn:
     * no more sequences than pending writes, and the lowest one is pending. (The tests check
     * it whole, {@link #checkInvariantsFully}.)
     */
    void checkInvariants() {
        if (ownOutstanding.size() > pending.size() || (!ownOutstanding.isEmpty()
                && (!pending.containsKey(new WriteKey(sessionClientId, ownOutstanding.first()))
                || ownOutstanding.last() > sessionSequence))) {
            throw new IllegalStateException(ownOutstanding.size() + " sequences outstanding, " + pending.size()
                    + " writes pending, lowest " + (ownOutstanding.isEmpty() ? "none" : ownOutstanding.first()));
        }
    }

    /** The whole invariant on ownOutstanding: exactly the own-session keys of pending. */
    void checkInvariantsFully() {
        List<Long> own = pending.keySet().stream().filter(key -> key.clientId() == sessionClientId)
                .map(WriteKey::sequence).sorted().toList();
        if (!own.equals(List.copyOf(ownOutstanding))) {
            throw new IllegalStateException("pending own sequences " + own + ", outstanding " + ownOutstanding);
        }
    }

    private void remove(PendingWrite write) {
        pending.remove(WriteKey.of(write.requestId));
        forgetOwn(write);
    }

    private void forgetOwn(PendingWrite write) {
        if (write.requestId.clientId() == sessionClientId) {
            ownOutstanding.remove(write.requestId.sequence());
        }
    }

    /** The same command under another request id. */
    private static Command withRequestId(Command command, RequestId requestId) {
        if (command instanceof Command.Put put) {
            return new Command.Put(requestId, put.namespace(), put.key(), put.value(), put.precondition());
        }
        if (command instanceof Command.Relocate relocate) {
            return new Command.Relocate(requestId, relocate.namespace(), relocate.key(), relocate.pointer(),
                    relocate.precondition());
        }
        Command.Delete delete = (Command.Delete) command;
        return new Command.Delete(requestId, delete.namespace(), delete.key(), delete.precondition());
    }

    /**
     * The request id of an encoded command, read from its fixed offsets (STORE.md, command
     * format: version at 0, then clientId, sequence and firstOutstanding from offset 2)
     * without decoding it all; NONE for bytes too short, of another version, or without a
     * valid session.
     */
    static RequestId peekRequestId(byte[] command) {
        if (command.length < REQUEST_ID_END_OFFSET || command[0] != CommandCodec.VERSION_2) {
            return RequestId.NONE;
        }
        ByteBuffer bytes = ByteBuffer.wrap(command);
        long clientId = bytes.getLong(CommandCodec.CLIENT_ID_OFFSET);
        long sequence = bytes.getLong(CommandCodec.SEQUENCE_OFFSET);
        long firstOutstanding = bytes.getLong(CommandCodec.FIRST_OUTSTANDING_OFFSET);
        if (clientId == 0 || sequence < 1 || firstOutstanding < 1 || firstOutstanding > sequence) {
            return RequestId.NONE;
        }
        return new RequestId(clientId, sequence, firstOutstanding);
    }

    private static final int REQUEST_ID_END_OFFSET = CommandCodec.FIRST_OUTSTANDING_OFFSET + 8;
}
