package io.confman.raft;

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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;

/**
 * One Raft node, as a pure state machine: inputs are {@link #step}, {@link #tick},
 * {@link #propose}, {@link #readIndex}, {@link #transferLeadership} and {@link #campaign};
 * the output is a {@link Ready} the runtime takes with {@link #ready()} and acknowledges with
 * {@link #advance}. It owns no thread, clock, file or socket, and its only randomness is the
 * injected generator, so the same inputs always give the same outputs.
 *
 * <p>The class is not final so that tests (the simulator) can subclass it to plant the bugs
 * Raft's rules prevent; the protected methods at the end are the decisions they may replace.
 * PROTOCOL.md lists them. Production code never overrides them.
 */
public class RaftNode {

    /** Refused messages reported in one Ready; a misconfigured peer must not fill the heap. */
    public static final int REJECTED_MESSAGES_PER_READY_MAX = 64;

    private final RaftConfig config;
    private final String id;
    private final ClusterIdentity cluster;
    private final List<String> peers;
    private final RaftLog log;
    private final SnapshotSource snapshots;
    private final RandomGenerator random;

    // Persistent state (Figure 2), handed to the runtime through Ready.hardState.
    // Invariant: currentTerm never decreases.
    private long currentTerm;
    // Invariant: votedFor == null || config.members().contains(votedFor)
    private String votedFor;

    private Role role = Role.FOLLOWER;
    private String leaderId;

    /**
     * Followers and candidates: ticks since the last message from a current leader, or since
     * the election started. Leaders: ticks since the last check-quorum round.
     */
    private int electionElapsed;
    private int heartbeatElapsed;
    // Invariant: electionTimeoutTicks <= randomizedElectionTimeout < 2 * electionTimeoutTicks
    private int randomizedElectionTimeout;

    /** Pre-candidates and candidates: the answers received in this election. */
    private final Map<String, Boolean> votes = new LinkedHashMap<>();

    // Leader state. Invariant: (role == LEADER) == (tracker != null) == (reads != null)
    // == (uncommitted != null)
    private ProgressTracker tracker;
    private ReadIndexQueue reads;
    private UncommittedBytes uncommitted;
    /**
     * The leader's commit index moved since the last Ready. Followers learn it from one round
     * of AppendEntries sent when the Ready is taken, not one round per acknowledgement.
     */
    private boolean commitToBroadcast;
    /** A ReadIndex round whose heartbeats are still in the outbox; later reads may join it. */
    private boolean readRoundUnsent;
    /** The member a leadership transfer goes to, or null (thesis §3.10). */
    private String transferee;
    /**
     * Ticks since the transfer to {@code transferee} started; at electionTimeoutTicks it is
     * aborted (§3.10). Kept apart from {@code electionElapsed}, which times check-quorum: if
     * each transfer restarted that, a leader cut off from its followers that keeps being asked
     * to transfer would never step down.
     * Invariant: transferElapsedTicks < electionTimeoutTicks, and 0 when transferee == null.
     */
    private int transferElapsedTicks;

    /** Followers: the snapshot being received chunk by chunk, or null. */
    private SnapshotMetadata receivingSnapshot;
    private long receivingOffset;

    // Outputs collected for the next Ready.
    private final List<Message> messages = new ArrayList<>();
    private final List<Message> messagesAfterPersist = new ArrayList<>();
    private final List<SnapshotChunk> snapshotChunks = new ArrayList<>();
    private final List<ReadState> readStates = new ArrayList<>();
    private final List<FailedRead> failedReads = new ArrayList<>();
    private final List<RejectedMessage> rejectedMessages = new ArrayList<>();
    private long rejectedMessageCount;
    private HardState handedOutHardState;
    /** The commit index at the last invariant check. Invariant: commitIndex never decreases. */
    private long checkedCommitIndex;
    /** The Ready handed out and not yet advanced, or null. */
    private Ready outstanding;

    public RaftNode(RaftConfig config, LogStorage storage, SnapshotSource snapshots, RandomGenerator random) {
        this(config, storage, snapshots, random, config.clusterIdentity());
    }

    /**
     * A node whose messages carry {@code cluster} instead of the identity of the member ids
     * alone; the runtime passes the identity of the full {@code ID=HOST:PORT} list, so that a
     * member moved to another address is another cluster.
     */
    public RaftNode(RaftConfig config, LogStorage storage, SnapshotSource snapshots, RandomGenerator random,
                    ClusterIdentity cluster) {
        this.config = Objects.requireNonNull(config, "config");
        this.snapshots = Objects.requireNonNull(snapshots, "snapshots");
        this.random = Objects.requireNonNull(random, "random");
        this.id = config.id();
        this.cluster = Objects.requireNonNull(cluster, "cluster");
        this.peers = config.members().stream().filter(member -> !member.equals(id)).toList();
        HardState hardState = storage.hardState();
        this.log = new RaftLog(storage, hardState.commitIndex());
        if (hardState.votedFor() != null && !config.members().contains(hardState.votedFor())) {
            throw new IllegalStateException("stored vote for " + hardState.votedFor() + ", not a member");
        }
        this.currentTerm = hardState.term();
        this.votedFor = hardState.votedFor();
        this.handedOutHardState = hardState;
        this.checkedCommitIndex = log.commitIndex();
        becomeFollower(currentTerm, null);
    }

    // ---------------------------------------------------------------- inputs

    /** Handles a message from a peer (thesis §3.3: "Rules for all servers" first). */
    public void step(Message message) {
        Objects.requireNonNull(message, "message");
        String refusal = refusalReason(message);
        if (refusal != null) {
            rejectedMessageCount++;
            if (rejectedMessages.size() < REJECTED_MESSAGES_PER_READY_MAX) {
                rejectedMessages.add(new RejectedMessage(message, refusal)); // the count says the rest
            }
            return;
        }
        if (message.term() > currentTerm && !stepToHigherTerm(message)) {
            return;
        }
        if (message.term() < currentTerm) {
            answerStaleTerm(message);
        } else {
            dispatch(message);
        }
        checkInvariants();
    }

    /** Advances logical time by one tick: election timeouts, heartbeats, check-quorum. */
    public void tick() {
        if (role == Role.LEADER) {
            tickLeader();
        } else {
            tickElection();
        }
        checkInvariants();
    }

    /** Starts an election now, as an election timeout would. Leaders ignore it. */
    public void campaign() {
        if (role == Role.LEADER) {
            return;
        }
        if (config.preVote()) {
            becomePreCandidate();
        } else {
            becomeCandidate(false);
        }
        checkInvariants();
    }

    /** Appends a command to the log if this node is the leader (thesis §3.5). */
    public ProposeResult propose(byte[] command) {
        Objects.requireNonNull(command, "command");
        if (role != Role.LEADER) {
            return new ProposeResult.Rejected("not the leader", leaderId);
        }
        if (transferee != null) {
            // Thesis §3.10: during a transfer the leader stops accepting client requests.
            return new ProposeResult.Rejected("leadership transfer to " + transferee + " under way", id);
        }
        Entry entry = Entry.normal(log.lastIndex() + 1, currentTerm, command.clone());
        if (!uncommitted.admits(entry.sizeBytes())) {
            return new ProposeResult.Rejected("uncommitted entries exceed uncommittedBytesMax "
                    + config.uncommittedBytesMax(), id);
        }
        uncommitted.add(entry.index(), entry.sizeBytes());
        log.appendAsLeader(entry);
        for (String peer : peers) {
            sendAppend(peer, false);
        }
        checkInvariants();
        return new ProposeResult.Accepted(entry.index(), entry.term());
    }

    /**
     * Asks for a linearizable read (thesis §6.4). The read comes back in a later Ready, in
     * {@link Ready#readStates()} once safe, or in {@link Ready#failedReads()}.
     */
    public void readIndex(byte[] callerContext) {
        Objects.requireNonNull(callerContext, "context");
        // Our own copy, as propose copies its command: the caller may reuse its array before
        // the read comes back in a Ready.
        byte[] context = callerContext.clone();
        if (role != Role.LEADER) {
            failedReads.add(new FailedRead(context, FailedRead.Reason.NOT_LEADER));
        } else if (transferee != null) {
            failedReads.add(new FailedRead(context, FailedRead.Reason.TRANSFER_IN_PROGRESS));
        } else if (reads.isFull()) {
            failedReads.add(new FailedRead(context, FailedRead.Reason.TOO_MANY_PENDING));
        } else if (!committedInCurrentTerm()) {
            // §6.4 step 1: until an entry of its term is committed, a new leader does not know
            // the commit index of its predecessor, so the read waits for the no-op.
            reads.waitForCommit(context);
        } else {
            startRead(context);
        }
        checkInvariants();
    }

    /**
     * Hands leadership to {@code target} (thesis §3.10): bring its log up to date, then tell it
     * to start an election with TimeoutNow. Aborted if not done within an election timeout.
     * Only a leader acts on it.
     */
    public void transferLeadership(String target) {
        if (!config.members().contains(target)) {
            throw new IllegalArgumentException("cannot transfer leadership to non-member " + target);
        }
        if (role != Role.LEADER || target.equals(id) || target.equals(transferee)) {
            return;
        }
        abortTransfer(); // A new target replaces the old one, whose TimeoutNow must not leave.
        transferee = target;
        transferElapsedTicks = 0; // The transfer gets one full election timeout.
        Progress pr = tracker.get(target);
        if (pr.matchIndex == log.lastIndex()) {
            sendTimeoutNow(target);
        } else {
            sendAppend(target, true);
        }
        checkInvariants();
    }

    // ---------------------------------------------------------------- output

    public boolean hasReady() {
        return outstanding == null
                && (!hardState().equals(handedOutHardState)
                || log.hasUnstableEntries() || log.unstableSnapshot() != null
                || !messages.isEmpty() || !messagesAfterPersist.isEmpty()
                || log.hasCommittedEntriesToApply() || !snapshotChunks.isEmpty()
                || !readStates.isEmpty() || !failedReads.isEmpty() || !rejectedMessages.isEmpty());
    }

    /** Takes everything the runtime must do now. Call {@link #advance} before the next one. */
    public Ready ready() {
        if (outstanding != null) {
            throw new IllegalStateException("ready() called again before advance()");
        }
        if (role == Role.LEADER && commitToBroadcast) {
            broadcastAppend();
        }
        commitToBroadcast = false;
        readRoundUnsent = false;
        HardState hardState = hardState();
        Ready ready = new Ready(
                hardState.equals(handedOutHardState) ? null : hardState,
                log.unstableEntries(),
                drain(messages),
                drain(messagesAfterPersist),
                log.nextCommittedEntries(config.applyBytesMax()),
                drain(snapshotChunks),
                log.unstableSnapshot(),
                drain(readStates),
                drain(failedReads),
                drain(rejectedMessages));
        handedOutHardState = hardState;
        outstanding = ready;
        return ready;
    }

    /**
     * The runtime persisted, sent and applied {@code ready}. A leader now counts its own
     * newly durable entries toward commitment (thesis §10.2.1: it may write its log in
     * parallel with replicating it, but counts itself only once written).
     */
    public void advance(Ready ready) {
        if (ready == null || ready != outstanding) {
            throw new IllegalArgumentException("advance() takes the Ready of the last ready() call");
        }
        outstanding = null;
        // Check both sides of the disk (STYLE 8): storage must hold what the Ready asked it to
        // keep, since the votes and acknowledgements already sent promise it (thesis §3.8).
        if (ready.hardState() != null) {
            log.stableHardState(ready.hardState());
        }
        if (ready.snapshotToInstall() != null) {
            log.stableSnapshotTo(ready.snapshotToInstall());
        }
        if (!ready.entries().isEmpty()) {
            log.stableTo(ready.entries());
        }
        if (!ready.committedEntries().isEmpty()) {
            log.appliedTo(ready.committedEntries().get(ready.committedEntries().size() - 1).index());
        }
        if (role == Role.LEADER && tracker.self().maybeUpdate(log.stableLastIndex())) {
            maybeCommit();
        }
        checkInvariants();
    }

    public Status status() {
        return new Status(id, role, currentTerm, votedFor, leaderId, log.commitIndex(),
                log.appliedIndex(), log.lastIndex(),
                tracker == null ? Map.of() : tracker.view(), rejectedMessageCount, transferee);
    }

    /**
     * The shape of the log, with its last {@code entriesMax} entries above the snapshot, for
     * views of this node. Like {@link #status()} it changes nothing; it copies those entries,
     * so it is meant for a view that asks, not for every turn of the node's loop.
     */
    public LogView logView(int entriesMax) {
        if (entriesMax < 0) {
            throw new IllegalArgumentException("entriesMax must be >= 0, was " + entriesMax);
        }
        long snapshotIndex = log.firstIndex() - 1;
        long lastIndex = log.lastIndex();
        long from = Math.max(snapshotIndex + 1, lastIndex - entriesMax + 1);
        return new LogView(new LogPosition(snapshotIndex, log.term(snapshotIndex)), log.lastPosition(),
                log.entries(from, lastIndex + 1, Long.MAX_VALUE));
    }

    /** The leader this node knows in its current term, or null; {@link #status()} without its copies. */
    public String leaderId() {
        return leaderId;
    }

    public Role role() {
        return role;
    }

    /** The index the state machine has applied, as advance() recorded it. */
    public long appliedIndex() {
        return log.appliedIndex();
    }

    /** This node's current term; {@link #status()} without its copies. */
    public long term() {
        return currentTerm;
    }

    public ClusterIdentity clusterIdentity() {
        return cluster;
    }

    public RaftConfig config() {
        return config;
    }

    // ---------------------------------------------------------------- step: terms and dispatch

    private String refusalReason(Message message) {
        if (!cluster.equals(message.cluster())) {
            return "cluster identity " + message.cluster() + " is not " + cluster;
        }
        if (!id.equals(message.to())) {
            return "addressed to " + message.to() + ", not " + id;
        }
        if (message.from().equals(id) || !config.members().contains(message.from())) {
            return "sender " + message.from() + " is not a peer";
        }
        return null;
    }

    /**
     * Figure 2: "If RPC request or response contains term T > currentTerm: set currentTerm = T,
     * convert to follower", with the exceptions of pre-vote and leader stickiness. Returns
     * false if the message must be dropped.
     */
    private boolean stepToHigherTerm(Message message) {
        if (message instanceof PreVote) {
            // Thesis §9.6: a server grants a pre-vote only if it has not heard from a valid
            // leader for at least a baseline election timeout; this holds with or without
            // check-quorum. A pre-vote never changes the receiver's term.
            return !heardFromLeaderRecently();
        }
        boolean transfer = message instanceof RequestVote request && request.leadershipTransfer();
        if (message instanceof RequestVote && !transfer && inLease()) {
            // Leader stickiness (thesis §4.2.3): we heard from a leader within the minimum
            // election timeout, so this candidate is disrupting a working cluster; ignore it
            // without adopting its term.
            return false;
        }
        if (message instanceof PreVoteResponse response && response.voteGranted()) {
            return true; // A grant carries the term we asked about, not a newer one we must adopt.
        }
        becomeFollower(message.term(), isFromLeader(message) ? message.from() : null);
        return true;
    }

    /**
     * Leader stickiness for real votes (§4.2.3) needs check-quorum, as in etcd: without it a
     * leader cut off from the majority never steps down, and followers that still hear from
     * it would refuse every election the majority holds.
     */
    private boolean inLease() {
        return config.checkQuorum() && heardFromLeaderRecently();
    }

    /** We know a leader and heard from it (or are it) within the minimum election timeout. */
    private boolean heardFromLeaderRecently() {
        return leaderId != null && electionElapsed < config.electionTimeoutTicks();
    }

    /**
     * A message of an older term is not acted on (Figure 2). Requests get an answer carrying
     * our term where that helps the sender move on; replies are dropped.
     */
    private void answerStaleTerm(Message message) {
        if (message instanceof AppendEntries || message instanceof Heartbeat) {
            // Figure 2, AppendEntries step 1. The sender still leads an older term; our term in
            // the reply makes it step down. With leader stickiness this matters even more: its
            // followers keep hearing from it and ignore our elections, while we ignore its
            // entries, so without this answer we could never rejoin.
            send(new AppendEntriesResponse(cluster, id, message.from(), currentTerm, false, 0, 0, 0, 0));
        } else if (message instanceof PreVote) {
            // The pre-candidate is behind; our term in the refusal brings it forward.
            send(new PreVoteResponse(cluster, id, message.from(), currentTerm, false));
        } else if (message instanceof RequestVote) {
            // Figure 2, RequestVote step 1: reply false; our term makes the candidate a follower.
            send(new RequestVoteResponse(cluster, id, message.from(), currentTerm, false));
        }
    }

    private void dispatch(Message message) {
        if (message instanceof PreVote preVote) {
            handlePreVote(preVote);
        } else if (message instanceof RequestVote requestVote) {
            handleRequestVote(requestVote);
        } else if (role == Role.LEADER) {
            stepLeader(message);
        } else if (role == Role.FOLLOWER) {
            stepFollower(message);
        } else {
            stepCandidate(message);
        }
    }

    private static boolean isFromLeader(Message message) {
        return message instanceof AppendEntries || message instanceof Heartbeat
                || message instanceof InstallSnapshot || message instanceof TimeoutNow;
    }

    private void stepFollower(Message message) {
        if (isFromLeader(message)) {
            electionElapsed = 0;
            leaderId = message.from();
        }
        if (message instanceof AppendEntries append) {
            handleAppendEntries(append);
        } else if (message instanceof Heartbeat heartbeat) {
            handleHeartbeat(heartbeat);
        } else if (message instanceof InstallSnapshot chunk) {
            handleInstallSnapshot(chunk);
        } else if (message instanceof TimeoutNow timeoutNow && log.lastPosition().equals(
                new LogPosition(timeoutNow.lastLogIndex(), timeoutNow.lastLogTerm()))) {
            // Thesis §3.10: the leader sends TimeoutNow once our log matches its own. If the
            // logs differ now, the leader moved on (it aborted the transfer and appended more),
            // and this is a stale copy: an election started from it would only disrupt.
            becomeCandidate(true);
        }
        // Any reply reaching a follower answers what it sent in an earlier role: stale.
    }

    private void stepCandidate(Message message) {
        if (isFromLeader(message)) {
            // Thesis §3.4: a candidate that hears from a leader of its own term steps down.
            becomeFollower(currentTerm, message.from());
            stepFollower(message);
        } else if (message instanceof PreVoteResponse response && role == Role.PRE_CANDIDATE
                && answersThisPreVote(response)) {
            handleVote(response.from(), response.voteGranted());
        } else if (message instanceof RequestVoteResponse response && role == Role.CANDIDATE) {
            handleVote(response.from(), response.voteGranted());
        }
    }

    private void stepLeader(Message message) {
        if (isFromLeader(message)) {
            throw new IllegalStateException("two leaders in term " + currentTerm + ": " + id
                    + " and " + message.from() + " (Election Safety violated)");
        }
        if (message instanceof AppendEntriesResponse response) {
            handleAppendEntriesResponse(response);
        } else if (message instanceof HeartbeatResponse response) {
            handleHeartbeatResponse(response);
        } else if (message instanceof InstallSnapshotResponse response) {
            handleInstallSnapshotResponse(response);
        }
    }

    // ---------------------------------------------------------------- elections

    private void tickElection() {
        electionElapsed++;
        if (electionElapsed >= randomizedElectionTimeout) {
            electionElapsed = 0;
            campaign();
        }
    }

    private void tickLeader() {
        heartbeatElapsed++;
        electionElapsed++;
        if (electionElapsed >= config.electionTimeoutTicks()) {
            electionElapsed = 0;
            if (config.checkQuorum()) {
                if (!tracker.quorumActive()) {
                    // Check-quorum (thesis §6.2): a leader cut off from a majority steps down,
                    // so that its clients stop waiting on it and retry elsewhere.
                    becomeFollower(currentTerm, null);
                    return;
                }
                tracker.resetRecentActive();
            }
        }
        if (transferee != null && ++transferElapsedTicks >= config.electionTimeoutTicks()) {
            abortTransfer(); // §3.10: a transfer not done in an election timeout is aborted.
        }
        tickSnapshotStreams();
        if (heartbeatElapsed >= config.heartbeatIntervalTicks()) {
            heartbeatElapsed = 0;
            broadcastHeartbeat();
        }
    }

    private void becomeFollower(long term, String leader) {
        reset(term);
        role = Role.FOLLOWER;
        leaderId = leader;
    }

    private void becomePreCandidate() {
        // Thesis §9.6: ask first whether we could win, without raising any term, so that a
        // node that was partitioned away cannot force an election when it comes back.
        role = Role.PRE_CANDIDATE;
        leaderId = null;
        votes.clear();
        electionElapsed = 0;
        randomizeElectionTimeout();
        votes.put(id, true);
        if (hasWonVote()) {
            becomeCandidate(false);
            return;
        }
        LogPosition last = log.lastPosition();
        for (String peer : peers) {
            send(new PreVote(cluster, id, peer, currentTerm + 1, last.index(), last.term()));
        }
    }

    private void becomeCandidate(boolean leadershipTransfer) {
        reset(currentTerm + 1);
        role = Role.CANDIDATE;
        votedFor = id;
        votes.put(id, true);
        if (hasWonVote()) {
            becomeLeader();
            return;
        }
        LogPosition last = log.lastPosition();
        for (String peer : peers) {
            send(new RequestVote(cluster, id, peer, currentTerm, last.index(), last.term(), leadershipTransfer));
        }
    }

    private void becomeLeader() {
        role = Role.LEADER;
        leaderId = id;
        electionElapsed = 0;
        heartbeatElapsed = 0;
        tracker = new ProgressTracker(id, config.members(), log.lastIndex() + 1, config);
        tracker.self().maybeUpdate(log.stableLastIndex());
        tracker.self().becomeReplicate(); // Its own log needs no probing.
        reads = new ReadIndexQueue(id, config.members(), config.pendingReadsMax());
        uncommitted = new UncommittedBytes(config.uncommittedBytesMax());
        // Thesis §3.6.2 and §6.4: a leader commits entries of earlier terms only by committing
        // one of its own, so it appends an empty entry at once.
        log.appendAsLeader(Entry.noOp(log.lastIndex() + 1, currentTerm));
        broadcastAppend();
    }

    private void reset(long term) {
        if (term < currentTerm) {
            throw new IllegalStateException("term going back from " + currentTerm + " to " + term);
        }
        if (role == Role.LEADER) {
            // What a leader queued speaks for a leadership that is over. None of it promises
            // anything durable (§3.8), so dropping it loses nothing; sent, it would tell
            // followers to wait for a leader that no longer leads.
            dropQueued(RaftNode::isFromLeader);
        }
        if (term != currentTerm) {
            currentTerm = term;
            votedFor = null;
            receivingSnapshot = null;
        }
        leaderId = null;
        electionElapsed = 0;
        heartbeatElapsed = 0;
        randomizeElectionTimeout();
        votes.clear();
        if (reads != null) {
            for (byte[] context : reads.drainAll()) {
                failedReads.add(new FailedRead(context, FailedRead.Reason.LEADERSHIP_LOST));
            }
        }
        tracker = null;
        reads = null;
        uncommitted = null;
        commitToBroadcast = false;
        readRoundUnsent = false;
        abortTransfer();
    }

    private void randomizeElectionTimeout() {
        int timeout = config.electionTimeoutTicks();
        randomizedElectionTimeout = timeout + random.nextInt(timeout);
        if (randomizedElectionTimeout < timeout || randomizedElectionTimeout >= 2 * timeout) {
            throw new IllegalStateException("randomized election timeout " + randomizedElectionTimeout
                    + " outside [" + timeout + ", " + 2 * timeout + ")");
        }
    }

    private void handlePreVote(PreVote request) {
        boolean granted = (request.term() > currentTerm || canVoteFor(request.from()))
                && candidateLogIsUpToDate(request.lastLogIndex(), request.lastLogTerm());
        send(new PreVoteResponse(cluster, id, request.from(), granted ? request.term() : currentTerm, granted));
    }

    private void handleRequestVote(RequestVote request) {
        boolean granted = canVoteFor(request.from())
                && candidateLogIsUpToDate(request.lastLogIndex(), request.lastLogTerm());
        if (granted) {
            votedFor = request.from();
            // §3.4: granting a vote restarts the election timer, so we do not compete with
            // the candidate we just voted for.
            electionElapsed = 0;
        }
        send(new RequestVoteResponse(cluster, id, request.from(), currentTerm, granted));
    }

    private void handleVote(String voter, boolean granted) {
        votes.putIfAbsent(voter, granted);
        if (hasWonVote()) {
            if (role == Role.PRE_CANDIDATE) {
                becomeCandidate(false);
            } else {
                becomeLeader();
            }
        } else if (hasLostVote()) {
            becomeFollower(currentTerm, null);
        }
    }

    /**
     * A pre-candidate asks about {@code currentTerm + 1} (§9.6), and a grant carries the term
     * asked about, so only a grant of exactly that term answers this round. A grant of
     * {@code currentTerm} answers a round held before we reached this term, about an election
     * at a term we have since passed; counting it could start an election no majority agreed
     * to. A refusal carries the voter's term: one of ours counts; a newer one made us a
     * follower in {@link #stepToHigherTerm}, and an older one was dropped as stale.
     */
    private boolean answersThisPreVote(PreVoteResponse response) {
        long expected = response.voteGranted() ? currentTerm + 1 : currentTerm;
        return response.term() == expected;
    }

    private boolean hasWonVote() {
        return votes.values().stream().filter(granted -> granted).count() >= config.quorum();
    }

    private boolean hasLostVote() {
        long rejections = votes.values().stream().filter(granted -> !granted).count();
        return config.members().size() - rejections < config.quorum();
    }

    // ---------------------------------------------------------------- replication: leader

    private void broadcastAppend() {
        for (String peer : peers) {
            sendAppend(peer, true);
        }
    }

    /**
     * Sends the next AppendEntries to {@code peer} if its progress allows one. Returns true
     * if a message went out.
     */
    private boolean sendAppend(String peer, boolean sendIfEmpty) {
        Progress pr = tracker.get(peer);
        if (pr.isPaused()) {
            return false;
        }
        long prevLogIndex = pr.nextIndex - 1;
        if (!log.hasTerm(prevLogIndex)) {
            // The entries this follower needs were compacted: send the snapshot (thesis §5.1).
            startSnapshot(peer, pr);
            return false;
        }
        List<Entry> entries = log.entriesFrom(pr.nextIndex, config.appendEntriesBytesMax());
        if (entries.isEmpty() && !sendIfEmpty) {
            return false;
        }
        AppendEntries append = new AppendEntries(cluster, id, peer, currentTerm, prevLogIndex,
                log.term(prevLogIndex), entries, log.commitIndex());
        send(append);
        pr.sentEntries(entries.size(), prevLogIndex + entries.size(), append.entriesBytes());
        return true;
    }

    private void handleAppendEntriesResponse(AppendEntriesResponse response) {
        String peer = response.from();
        Progress pr = tracker.get(peer);
        pr.recentActive = true;
        if (!response.success()) {
            handleAppendRejection(response, pr);
            return;
        }
        boolean probeConfirmed = pr.state == Progress.State.PROBE && pr.matchIndex == response.matchIndex();
        if (!pr.maybeUpdate(response.matchIndex()) && !probeConfirmed) {
            return; // Stale: it acknowledges nothing new.
        }
        switch (pr.state) {
            case PROBE -> pr.becomeReplicate();
            case SNAPSHOT -> {
                if (pr.matchIndex + 1 >= log.firstIndex()) {
                    pr.becomeProbe();
                    pr.becomeReplicate();
                }
            }
            case REPLICATE -> pr.inflights.freeLE(response.matchIndex());
        }
        maybeCommit();
        while (sendAppend(peer, false)) {
            // Fill the pipeline up to the inflight bounds.
        }
        if (peer.equals(transferee) && pr.matchIndex == log.lastIndex()) {
            sendTimeoutNow(peer);
        }
    }

    /**
     * The last step of a transfer (thesis §3.10): the target's log matches ours, so tell it to
     * campaign. Our last log position goes along, so that the target can tell a stale copy.
     */
    private void sendTimeoutNow(String target) {
        LogPosition last = log.lastPosition();
        send(new TimeoutNow(cluster, id, target, currentTerm, last.index(), last.term()));
    }

    /**
     * Ends the transfer under way, if any. A TimeoutNow still in the outbox is dropped: the
     * leader has taken leadership back, and an election started now would only disrupt
     * (thesis §3.10: the leader "aborts the transfer and resumes accepting client requests").
     */
    private void abortTransfer() {
        transferee = null;
        transferElapsedTicks = 0;
        dropQueued(message -> message instanceof TimeoutNow);
    }

    /**
     * Fast backtracking (the optimization at the end of thesis §3.5, in the variant etcd
     * uses, which needs no per-term index on the follower): the follower reported its last
     * entry at or below the rejected index whose term is at most the term we asked about. Our
     * own log then tells where the two may agree: the last index at or below that hint whose
     * term is at most the hinted term. One round trip skips a whole term of mismatching
     * entries on each side.
     */
    private void handleAppendRejection(AppendEntriesResponse response, Progress pr) {
        long matchHint = response.conflictTerm() > 0
                ? log.findConflictByTerm(response.conflictIndex(), response.conflictTerm()).index()
                : response.conflictIndex();
        if (pr.maybeDecreaseTo(response.rejectedIndex(), matchHint)) {
            if (pr.state == Progress.State.REPLICATE) {
                pr.becomeProbe();
            }
            sendAppend(response.from(), true);
        }
    }

    /**
     * Figure 2, rules for leaders: commit the highest index a majority holds, provided the entry
     * there is of the current term (thesis §3.6.2; Figure 8 shows why older terms are unsafe).
     */
    private boolean maybeCommit() {
        long index = tracker.quorumMatchIndex();
        if (index <= log.commitIndex() || !isSafeToCommit(index)) {
            return false;
        }
        boolean firstInTerm = !committedInCurrentTerm();
        log.commitTo(index);
        uncommitted.committedTo(index);
        commitToBroadcast = true;
        if (firstInTerm && committedInCurrentTerm()) {
            for (byte[] context : reads.drainWaitingForCommit()) {
                startRead(context);
            }
        }
        return true;
    }

    private boolean committedInCurrentTerm() {
        return log.term(log.commitIndex()) == currentTerm;
    }

    private void broadcastHeartbeat() {
        for (String peer : peers) {
            sendHeartbeat(peer, reads.latestRound());
        }
    }

    private void sendHeartbeat(String peer, long readRound) {
        // The follower may not hold everything committed; it can only apply what it holds.
        long commit = Math.min(tracker.get(peer).matchIndex, log.commitIndex());
        Heartbeat heartbeat = new Heartbeat(cluster, id, peer, currentTerm, commit, readRound);
        if (!replaceQueuedHeartbeat(heartbeat)) {
            send(heartbeat);
        }
    }

    /**
     * Keeps at most one heartbeat per peer in the outbox (STYLE 9: no unbounded queue). While
     * the runtime waits on a slow fsync it takes no Ready, and a heartbeat per tick would pile
     * up. The newest says all the older ones do: its commit index and read round are at least
     * theirs, and an answer to it confirms every read of older rounds (§6.4).
     */
    private boolean replaceQueuedHeartbeat(Heartbeat heartbeat) {
        for (int i = 0; i < messages.size(); i++) {
            if (messages.get(i) instanceof Heartbeat queued && queued.to().equals(heartbeat.to())) {
                messages.set(i, heartbeat);
                return true;
            }
        }
        return false;
    }

    private void handleHeartbeatResponse(HeartbeatResponse response) {
        Progress pr = tracker.get(response.from());
        pr.recentActive = true;
        pr.probeSent = false;
        if (pr.state == Progress.State.REPLICATE && pr.inflights.full()) {
            pr.inflights.freeFirstOne(); // A lost AppendEntries must not stall the pipeline.
        }
        if (pr.matchIndex < log.lastIndex()) {
            sendAppend(response.from(), true);
        }
        readStates.addAll(reads.acknowledge(response.from(), response.readRound()));
    }

    private void startRead(byte[] context) {
        if (peers.isEmpty()) {
            readStates.add(new ReadState(context, log.commitIndex()));
            return;
        }
        if (readRoundUnsent) {
            // The heartbeats of the latest round have not left yet, so answers to them prove
            // leadership after this read arrived too: the read joins that round (§6.4 allows
            // batching reads into one confirmation).
            reads.join(context, log.commitIndex());
            return;
        }
        long round = reads.add(context, log.commitIndex());
        for (String peer : peers) {
            sendHeartbeat(peer, round);
        }
        readRoundUnsent = true;
    }

    // ---------------------------------------------------------------- snapshots: leader

    private void startSnapshot(String peer, Progress pr) {
        pr.becomeSnapshot(log.storageSnapshot());
        sendSnapshotChunk(peer, pr);
    }

    private void sendSnapshotChunk(String peer, Progress pr) {
        SnapshotMetadata latest = log.storageSnapshot();
        if (!latest.equals(pr.pendingSnapshot)) {
            pr.becomeSnapshot(latest); // A newer snapshot replaced it; the old one may be gone.
        }
        SnapshotMetadata snapshot = pr.pendingSnapshot;
        long offset = pr.snapshotOffset;
        byte[] data = snapshots.read(snapshot, offset, config.snapshotChunkBytesMax());
        long expected = Math.min(config.snapshotChunkBytesMax(), snapshot.sizeBytes() - offset);
        if (data.length != expected) {
            throw new IllegalStateException("snapshot source returned " + data.length
                    + " bytes at offset " + offset + " of " + snapshot + ", expected " + expected);
        }
        boolean done = offset + data.length == snapshot.sizeBytes();
        send(new InstallSnapshot(cluster, id, peer, currentTerm, snapshot, offset, data, done));
        pr.snapshotStallTicks = 0;
    }

    private void tickSnapshotStreams() {
        for (String peer : peers) {
            Progress pr = tracker.get(peer);
            if (pr.state == Progress.State.SNAPSHOT
                    && ++pr.snapshotStallTicks >= config.electionTimeoutTicks()) {
                sendSnapshotChunk(peer, pr); // The chunk or its answer was lost: send it again.
            }
        }
    }

    private void handleInstallSnapshotResponse(InstallSnapshotResponse response) {
        Progress pr = tracker.get(response.from());
        pr.recentActive = true;
        if (pr.state != Progress.State.SNAPSHOT || !response.snapshot().equals(pr.pendingSnapshot)) {
            return; // Answers a transfer that is over.
        }
        if (response.done()) {
            pr.maybeUpdate(response.snapshot().lastIncludedIndex());
            pr.becomeProbe();
            sendAppend(response.from(), true);
        } else if (response.nextOffset() != pr.snapshotOffset) {
            // Forward: the chunk arrived. Backward: the follower lost its partial copy.
            pr.snapshotOffset = response.nextOffset();
            sendSnapshotChunk(response.from(), pr);
        }
        // Equal: an answer to a duplicate chunk; the stall timer covers a lost one.
    }

    // ---------------------------------------------------------------- follower

    /** Figure 2, AppendEntries receiver implementation (term already checked in step). */
    private void handleAppendEntries(AppendEntries append) {
        requirePrevAgreesWithCommitted(append);
        if (append.prevLogIndex() < log.commitIndex()) {
            // What we committed agrees with every later leader (Leader Completeness); report it
            // so the leader resumes from there, after checking that claim on what we were sent.
            requireAgreesWithCommitted(append.entries());
            acknowledgeAppend(append.from(), log.commitIndex());
            return;
        }
        if (!log.matchTerm(append.prevLogIndex(), append.prevLogTerm())) {
            LogPosition hint = log.findConflictByTerm(
                    Math.min(append.prevLogIndex(), log.lastIndex()), append.prevLogTerm());
            send(new AppendEntriesResponse(cluster, id, append.from(), currentTerm, false, 0,
                    append.prevLogIndex(), hint.index(), hint.term()));
            return;
        }
        log.appendFromLeader(append.entries());
        long lastNewIndex = append.prevLogIndex() + append.entries().size();
        // Figure 2 step 5: the leader's commit index tells only about entries we now hold.
        log.commitTo(Math.min(append.leaderCommit(), lastNewIndex));
        acknowledgeAppend(append.from(), lastNewIndex);
    }

    /**
     * A leader's entry at a committed index must be the entry we committed (State Machine
     * Safety, thesis §3.6.3). If not, a safety rule was broken somewhere; stop rather than
     * acknowledge a log we do not have.
     */
    private void requireAgreesWithCommitted(List<Entry> entries) {
        for (Entry entry : entries) {
            if (entry.index() <= log.commitIndex() && log.hasTerm(entry.index())
                    && log.term(entry.index()) != entry.term()) {
                throw new IllegalStateException("leader sent " + entry + " but committed index "
                        + entry.index() + " has term " + log.term(entry.index())
                        + " (State Machine Safety violated)");
            }
        }
    }

    /**
     * A leader's prevLogTerm at a committed index must be the term we committed there (State
     * Machine Safety, thesis §3.6.3): every later leader holds every committed entry. A leader
     * that names another term there has another entry there, so a safety rule was broken.
     */
    private void requirePrevAgreesWithCommitted(AppendEntries append) {
        long prevLogIndex = append.prevLogIndex();
        if (prevLogIndex > log.commitIndex() || !log.hasTerm(prevLogIndex)) {
            return; // Not committed here, or compacted into a snapshot, where terms are gone.
        }
        if (log.term(prevLogIndex) != append.prevLogTerm()) {
            throw new IllegalStateException("leader " + append.from() + " has term " + append.prevLogTerm()
                    + " at committed index " + prevLogIndex + ", where we committed term "
                    + log.term(prevLogIndex) + " (State Machine Safety violated)");
        }
    }

    private void acknowledgeAppend(String leader, long matchIndex) {
        send(new AppendEntriesResponse(cluster, id, leader, currentTerm, true, matchIndex, 0, 0, 0));
    }

    private void handleHeartbeat(Heartbeat heartbeat) {
        log.commitTo(heartbeat.leaderCommit());
        send(new HeartbeatResponse(cluster, id, heartbeat.from(), currentTerm, heartbeat.readRound()));
    }

    /** InstallSnapshot receiver (thesis §5.1; paper Figure 13), one chunk at a time. */
    private void handleInstallSnapshot(InstallSnapshot chunk) {
        SnapshotMetadata snapshot = chunk.snapshot();
        if (snapshot.lastIncludedIndex() <= log.commitIndex()) {
            endReceiving(snapshot); // We already hold all it covers.
            acknowledgeAppend(chunk.from(), log.commitIndex());
            return;
        }
        if (log.matchTerm(snapshot.lastIncludedIndex(), snapshot.lastIncludedTerm())) {
            // Paper Figure 13, step 6, checked before any byte moves rather than after the last
            // chunk: our log holds the snapshot's last entry, so it agrees with the leader up to
            // there (Log Matching); keep our entries and skip the snapshot.
            endReceiving(snapshot);
            log.commitTo(snapshot.lastIncludedIndex());
            acknowledgeAppend(chunk.from(), snapshot.lastIncludedIndex());
            return;
        }
        if (chunk.offset() == 0 && !snapshot.equals(receivingSnapshot)) {
            // A new transfer. A chunk at offset 0 of the snapshot we are receiving is a late or
            // duplicated copy: restarting for it would throw away chunks already written, and
            // the answer below tells the leader where we are.
            receivingSnapshot = snapshot;
            receivingOffset = 0;
        }
        if (!snapshot.equals(receivingSnapshot) || chunk.offset() != receivingOffset) {
            long have = snapshot.equals(receivingSnapshot) ? receivingOffset : 0;
            send(new InstallSnapshotResponse(cluster, id, chunk.from(), currentTerm, snapshot, have, false));
            return;
        }
        snapshotChunks.add(new SnapshotChunk(snapshot, chunk.offset(), chunk.data(), chunk.done()));
        receivingOffset += chunk.data().length;
        if (chunk.done()) {
            if (receivingOffset != snapshot.sizeBytes()) {
                throw new IllegalStateException("last chunk ends at " + receivingOffset + " of " + snapshot);
            }
            log.restore(snapshot); // paper Figure 13, step 7: discard the entire log.
            receivingSnapshot = null;
        }
        send(new InstallSnapshotResponse(cluster, id, chunk.from(), currentTerm, snapshot,
                chunk.offset() + chunk.data().length, chunk.done()));
    }

    /**
     * The chunks of {@code snapshot} are no longer needed. A chunk of another snapshot (a
     * stale one, say) says nothing about the transfer under way, which goes on.
     */
    private void endReceiving(SnapshotMetadata snapshot) {
        if (snapshot.equals(receivingSnapshot)) {
            receivingSnapshot = null;
            receivingOffset = 0;
        }
    }

    // ---------------------------------------------------------------- helpers

    private HardState hardState() {
        return new HardState(currentTerm, votedFor, log.commitIndex());
    }

    /**
     * Queues a message for the next Ready. Replies that acknowledge durable state wait for the
     * runtime's fsync (thesis §3.8): see {@link #mustPersistBeforeSending}.
     */
    private void send(Message message) {
        if (mustPersistBeforeSending(message)) {
            messagesAfterPersist.add(message);
        } else {
            messages.add(message);
        }
    }

    /** Removes from the outbox the messages not yet handed out that match {@code filter}. */
    private void dropQueued(Predicate<Message> filter) {
        messages.removeIf(filter);
        messagesAfterPersist.removeIf(filter);
    }

    private static <T> List<T> drain(List<T> list) {
        List<T> out = List.copyOf(list);
        list.clear();
        return out;
    }

    /** Checked after every input; a violation is a bug, and continuing could lose data. */
    private void checkInvariants() {
        if ((role == Role.LEADER) != (tracker != null)) {
            throw new IllegalStateException("role " + role + " with tracker " + tracker);
        }
        if ((role == Role.LEADER) != (reads != null)) {
            throw new IllegalStateException("role " + role + " with read queue " + reads);
        }
        if ((role == Role.LEADER) != (uncommitted != null)) {
            throw new IllegalStateException("role " + role + " with uncommitted bytes " + uncommitted);
        }
        if (log.commitIndex() < checkedCommitIndex) {
            throw new IllegalStateException("commitIndex went back from " + checkedCommitIndex
                    + " to " + log.commitIndex() + " (committed entries are never lost, §3.6.3)");
        }
        checkedCommitIndex = log.commitIndex();
        if (role == Role.LEADER && !id.equals(leaderId)) {
            throw new IllegalStateException("leader " + id + " believes the leader is " + leaderId);
        }
        if (transferElapsedTicks >= config.electionTimeoutTicks()) {
            throw new IllegalStateException("transfer to " + transferee + " running for "
                    + transferElapsedTicks + " ticks, past the election timeout");
        }
        if (transferee == null && transferElapsedTicks != 0) {
            throw new IllegalStateException("no transfer, yet " + transferElapsedTicks + " ticks of one");
        }
        if (role == Role.CANDIDATE && !id.equals(votedFor)) {
            throw new IllegalStateException("candidate " + id + " voted for " + votedFor);
        }
        if (log.commitIndex() > log.lastIndex()) {
            throw new IllegalStateException("commitIndex " + log.commitIndex() + " > lastIndex " + log.lastIndex());
        }
        if (log.appliedIndex() > log.commitIndex()) {
            throw new IllegalStateException("applied " + log.appliedIndex() + " > commitIndex " + log.commitIndex());
        }
    }

    // ---------------------------------------------------------------- decisions tests may replace

    /**
     * The election restriction (thesis §3.6.1): vote only for a candidate whose log is at least
     * as up-to-date as ours, so that every leader holds every committed entry.
     */
    protected boolean candidateLogIsUpToDate(long lastLogIndex, long lastLogTerm) {
        return log.isUpToDate(lastLogIndex, lastLogTerm);
    }

    /**
     * One vote per term (thesis §3.4, Figure 2 RequestVote step 2): vote again only for the
     * candidate already voted for, and not at all once a leader of this term is known.
     */
    protected boolean canVoteFor(String candidateId) {
        return candidateId.equals(votedFor) || (votedFor == null && leaderId == null);
    }

    /**
     * May the leader commit {@code index}, which a majority holds? Only if the entry there is of
     * the current term (thesis §3.6.2): Figure 8 shows an entry of an older term, held by a
     * majority, being overwritten by a later leader.
     */
    protected boolean isSafeToCommit(long index) {
        return log.term(index) == currentTerm;
    }

    /**
     * Must {@code message} wait until the runtime made this Ready durable? Yes for every message
     * that promises something about durable state (thesis §3.8): a vote (it must survive a
     * restart, or a node could vote twice in a term), an AppendEntries acknowledgement (the
     * leader counts it toward commitment), a snapshot chunk acknowledgement, and RequestVote
     * itself (a candidate's own vote counts toward its majority).
     */
    protected boolean mustPersistBeforeSending(Message message) {
        return message instanceof RequestVote
                || message instanceof RequestVoteResponse
                || message instanceof AppendEntriesResponse
                || message instanceof InstallSnapshotResponse;
    }
}
