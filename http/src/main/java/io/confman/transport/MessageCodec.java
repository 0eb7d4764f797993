package io.confman.transport;

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
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Encodes every Raft {@link Message} into one frame and back, field by field, in the order
 * of the record components but for the fixed-size fields that precede a variable-length
 * part (TRANSPORT.md section 4). Decoding is strict: every byte of the
 * body must be used, booleans are 0 or 1, and the record constructors' own checks apply; any
 * violation is a {@link CloseReason#MALFORMED} frame, never a partly filled message.
 */
final class MessageCodec {

    /** The u16 byte count in front of every string's UTF-8 bytes. */
    static final int STRING_LENGTH_BYTES = 2;
    static final int STRING_BYTES_MAX = 0xFFFF;
    static final int LONG_BYTES = 8;
    static final int BOOLEAN_BYTES = 1;
    static final int DATA_LENGTH_BYTES = 4;
    static final int SNAPSHOT_METADATA_BYTES = 3 * LONG_BYTES;
    /** index, term, entry type, data length. */
    static final int ENTRY_HEADER_BYTES = LONG_BYTES + LONG_BYTES + 1 + DATA_LENGTH_BYTES;
    static final int ENTRY_TYPE_NORMAL = 1;
    static final int ENTRY_TYPE_NO_OP = 2;

    private MessageCodec() {
    }

    static FrameType typeOf(Message message) {
        if (message instanceof PreVote) return FrameType.PRE_VOTE;
        if (message instanceof PreVoteResponse) return FrameType.PRE_VOTE_RESPONSE;
        if (message instanceof RequestVote) return FrameType.REQUEST_VOTE;
        if (message instanceof RequestVoteResponse) return FrameType.REQUEST_VOTE_RESPONSE;
        if (message instanceof AppendEntries) return FrameType.APPEND_ENTRIES;
        if (message instanceof AppendEntriesResponse) return FrameType.APPEND_ENTRIES_RESPONSE;
        if (message instanceof Heartbeat) return FrameType.HEARTBEAT;
        if (message instanceof HeartbeatResponse) return FrameType.HEARTBEAT_RESPONSE;
        if (message instanceof InstallSnapshot) return FrameType.INSTALL_SNAPSHOT;
        if (message instanceof InstallSnapshotResponse) return FrameType.INSTALL_SNAPSHOT_RESPONSE;
        if (message instanceof TimeoutNow) return FrameType.TIMEOUT_NOW;
        throw new IllegalStateException("a Message type the codec does not know: " + message);
    }

    /** The whole frame's size, header included; what counts against queue and frame limits. */
    static long frameBytes(Message message) {
        return Frame.FRAME_HEADER_BYTES + bodyBytes(message);
    }

    static long bodyBytes(Message message) {
        long bytes = stringBytes(message.cluster().value()) + stringBytes(message.from())
                + stringBytes(message.to()) + LONG_BYTES;
        return bytes + specificBytes(message);
    }

    private static long specificBytes(Message message) {
        if (message instanceof PreVote || message instanceof RequestVote) {
            return 2L * LONG_BYTES + (message instanceof RequestVote ? BOOLEAN_BYTES : 0);
        }
        if (message instanceof PreVoteResponse || message instanceof RequestVoteResponse) {
            return BOOLEAN_BYTES;
        }
        if (message instanceof AppendEntries m) {
            long bytes = 3L * LONG_BYTES + DATA_LENGTH_BYTES;
            for (Entry entry : m.entries()) {
                bytes += ENTRY_HEADER_BYTES + entry.data().length;
            }
            return bytes;
        }
        if (message instanceof AppendEntriesResponse) return BOOLEAN_BYTES + 4L * LONG_BYTES;
        if (message instanceof Heartbeat) return 2L * LONG_BYTES;
        if (message instanceof HeartbeatResponse) return LONG_BYTES;
        if (message instanceof InstallSnapshot m) {
            return SNAPSHOT_METADATA_BYTES + LONG_BYTES + BOOLEAN_BYTES + DATA_LENGTH_BYTES
                    + m.data().length;
        }
        if (message instanceof InstallSnapshotResponse) {
            return SNAPSHOT_METADATA_BYTES + LONG_BYTES + BOOLEAN_BYTES;
        }
        if (message instanceof TimeoutNow) return 2L * LONG_BYTES;
        throw new IllegalStateException("a Message type the codec does not know: " + message);
    }

    private static int stringBytes(String value) {
        int bytes = ByteBufUtil.utf8Bytes(value);
        if (bytes > STRING_BYTES_MAX) {
            throw new IllegalArgumentException("a string on the wire is at most "
                    + STRING_BYTES_MAX + " UTF-8 bytes, was " + bytes);
        }
        return STRING_LENGTH_BYTES + bytes;
    }

    /** The complete, sealed frame for {@code message}. */
    static ByteBuf encode(ByteBufAllocator allocator, Message message) {
        long bodyBytes = bodyBytes(message);
        if (bodyBytes > Integer.MAX_VALUE - Frame.FRAME_HEADER_BYTES) {
            throw new IllegalArgumentException("message too large for one frame: " + bodyBytes);
        }
        ByteBuf frame = Frame.begin(allocator, typeOf(message), (int) bodyBytes);
        writeString(frame, message.cluster().value());
        writeString(frame, message.from());
        writeString(frame, message.to());
        frame.writeLong(message.term());
        writeSpecific(frame, message);
        return Frame.seal(frame);
    }

    private static void writeSpecific(ByteBuf out, Message message) {
        if (message instanceof PreVote m) {
            out.writeLong(m.lastLogIndex()).writeLong(m.lastLogTerm());
        } else if (message instanceof PreVoteResponse m) {
            out.writeBoolean(m.voteGranted());
        } else if (message instanceof RequestVote m) {
            out.writeLong(m.lastLogIndex()).writeLong(m.lastLogTerm());
            out.writeBoolean(m.leadershipTransfer());
        } else if (message instanceof RequestVoteResponse m) {
            out.writeBoolean(m.voteGranted());
        } else if (message instanceof AppendEntries m) {
            writeAppendEntries(out, m);
        } else if (message instanceof AppendEntriesResponse m) {
            out.writeBoolean(m.success()).writeLong(m.matchIndex()).writeLong(m.rejectedIndex());
            out.writeLong(m.conflictIndex()).writeLong(m.conflictTerm());
        } else if (message instanceof Heartbeat m) {
            out.writeLong(m.leaderCommit()).writeLong(m.readRound());
        } else if (message instanceof HeartbeatResponse m) {
            out.writeLong(m.readRound());
        } else if (message instanceof InstallSnapshot m) {
            writeSnapshotMetadata(out, m.snapshot());
            out.writeLong(m.offset()).writeBoolean(m.done());
            out.writeInt(m.data().length).writeBytes(m.data());
        } else if (message instanceof InstallSnapshotResponse m) {
            writeSnapshotMetadata(out, m.snapshot());
            out.writeLong(m.nextOffset()).writeBoolean(m.done());
        } else if (message instanceof TimeoutNow m) {
            // The leader's last log position: without it the target cannot tell a current
            // TimeoutNow from one an aborted transfer left behind, and starts no election.
            out.writeLong(m.lastLogIndex()).writeLong(m.lastLogTerm());
        }
    }

    private static void writeAppendEntries(ByteBuf out, AppendEntries m) {
        out.writeLong(m.prevLogIndex()).writeLong(m.prevLogTerm()).writeLong(m.leaderCommit());
        out.writeInt(m.entries().size());
        for (Entry entry : m.entries()) {
            out.writeLong(entry.index()).writeLong(entry.term());
            out.writeByte(entry.type() == Entry.Type.NO_OP ? ENTRY_TYPE_NO_OP : ENTRY_TYPE_NORMAL);
            out.writeInt(entry.data().length).writeBytes(entry.data());
        }
    }

    private static void writeSnapshotMetadata(ByteBuf out, SnapshotMetadata snapshot) {
        out.writeLong(snapshot.lastIncludedIndex()).writeLong(snapshot.lastIncludedTerm());
        out.writeLong(snapshot.sizeBytes());
    }

    static void writeString(ByteBuf out, String value) {
        int bytes = ByteBufUtil.utf8Bytes(value);
        out.writeShort(bytes);
        out.writeCharSequence(value, StandardCharsets.UTF_8);
    }

    /**
     * The message a frame body holds; throws {@link FrameException} with
     * {@link CloseReason#MALFORMED} when the body is not exactly one valid message.
     */
    static Message decode(FrameType type, ByteBuf body) {
        BodyReader in = new BodyReader(body);
        Message message;
        try {
            message = decodeChecked(type, in);
        } catch (IllegalArgumentException | NullPointerException e) {
            // The record constructors reject impossible values (gaps in entries, negative
            // snapshot index, ...); from a peer that is a malformed frame, not our bug.
            throw new FrameException(CloseReason.MALFORMED, type + " body rejected: "
                    + e.getMessage());
        }
        in.requireEnd(type);
        return message;
    }

    private static Message decodeChecked(FrameType type, BodyReader in) {
        ClusterIdentity cluster = new ClusterIdentity(in.string());
        String from = in.string();
        String to = in.string();
        long term = in.longValue();
        switch (type) {
            case PRE_VOTE:
                return new PreVote(cluster, from, to, term, in.longValue(), in.longValue());
            case PRE_VOTE_RESPONSE:
                return new PreVoteResponse(cluster, from, to, term, in.bool());
            case REQUEST_VOTE:
                return new RequestVote(cluster, from, to, term, in.longValue(), in.longValue(),
                        in.bool());
            case REQUEST_VOTE_RESPONSE:
                return new RequestVoteResponse(cluster, from, to, term, in.bool());
            case APPEND_ENTRIES:
                return decodeAppendEntries(in, cluster, from, to, term);
            case APPEND_ENTRIES_RESPONSE:
                return new AppendEntriesResponse(cluster, from, to, term, in.bool(),
                        in.longValue(), in.longValue(), in.longValue(), in.longValue());
            case HEARTBEAT:
                return new Heartbeat(cluster, from, to, term, in.longValue(), in.longValue());
            case HEARTBEAT_RESPONSE:
                return new HeartbeatResponse(cluster, from, to, term, in.longValue());
            case INSTALL_SNAPSHOT:
                return decodeInstallSnapshot(in, cluster, from, to, term);
            case INSTALL_SNAPSHOT_RESPONSE:
                return new InstallSnapshotResponse(cluster, from, to, term,
                        snapshotMetadata(in), in.longValue(), in.bool());
            case TIMEOUT_NOW:
                return new TimeoutNow(cluster, from, to, term, in.longValue(), in.longValue());
            default:
                throw new FrameException(CloseReason.UNEXPECTED_FRAME,
                        type + " is not a message frame");
        }
    }

    private static AppendEntries decodeAppendEntries(BodyReader in, ClusterIdentity cluster,
                                                     String from, String to, long term) {
        long prevLogIndex = in.longValue();
        long prevLogTerm = in.longValue();
        long leaderCommit = in.longValue();
        long count = in.unsignedInt();
        // Check the count against the bytes present before allocating anything for it, so
        // that a forged count cannot make us allocate a huge list.
        if (count * ENTRY_HEADER_BYTES > in.remaining()) {
            throw new FrameException(CloseReason.MALFORMED, "AppendEntries announces " + count
                    + " entries in " + in.remaining() + " bytes");
        }
        List<Entry> entries = new ArrayList<>((int) count);
        for (long i = 0; i < count; i++) {
            long index = in.longValue();
            long entryTerm = in.longValue();
            Entry.Type entryType = entryType(in.unsignedByte());
            entries.add(new Entry(index, entryTerm, entryType, in.data()));
        }
        return new AppendEntries(cluster, from, to, term, prevLogIndex, prevLogTerm, entries,
                leaderCommit);
    }

    private static InstallSnapshot decodeInstallSnapshot(BodyReader in, ClusterIdentity cluster,
                                                         String from, String to, long term) {
        SnapshotMetadata snapshot = snapshotMetadata(in);
        long offset = in.longValue();
        // done precedes the data on the wire so that every fixed-size field comes first.
        boolean done = in.bool();
        byte[] data = in.data();
        return new InstallSnapshot(cluster, from, to, term, snapshot, offset, data, done);
    }

    private static Entry.Type entryType(int code) {
        if (code == ENTRY_TYPE_NORMAL) return Entry.Type.NORMAL;
        if (code == ENTRY_TYPE_NO_OP) return Entry.Type.NO_OP;
        throw new FrameException(CloseReason.MALFORMED, "unknown entry type " + code);
    }

    private static SnapshotMetadata snapshotMetadata(BodyReader in) {
        return new SnapshotMetadata(in.longValue(), in.longValue(), in.longValue());
    }

    /** Reads a frame body with a bounds check before every field. */
    static final class BodyReader {
        private final ByteBuf body;

        BodyReader(ByteBuf body) {
            this.body = body;
        }

        int remaining() {
            return body.readableBytes();
        }

        private void need(int bytes, String what) {
            if (body.readableBytes() < bytes) {
                throw new FrameException(CloseReason.MALFORMED, "body ends before " + what
                        + ": need " + bytes + ", have " + body.readableBytes());
            }
        }

        long longValue() {
            need(LONG_BYTES, "a 64-bit field");
            return body.readLong();
        }

        long unsignedInt() {
            need(4, "a 32-bit field");
            return body.readUnsignedInt();
        }

        int unsignedShort() {
            need(2, "a 16-bit field");
            return body.readUnsignedShort();
        }

        byte[] bytes(int count) {
            need(count, count + " bytes");
            byte[] bytes = new byte[count];
            body.readBytes(bytes);
            return bytes;
        }

        int unsignedByte() {
            need(1, "a byte field");
            return body.readUnsignedByte();
        }

        boolean bool() {
            int value = unsignedByte();
            if (value > 1) {
                throw new FrameException(CloseReason.MALFORMED, "a boolean is 0 or 1, was " + value);
            }
            return value == 1;
        }

        byte[] data() {
            long length = unsignedInt();
            need((int) Math.min(length, Integer.MAX_VALUE), "data of " + length + " bytes");
            byte[] data = new byte[(int) length];
            body.readBytes(data);
            return data;
        }

        String string() {
            need(STRING_LENGTH_BYTES, "a string length");
            int length = body.readUnsignedShort();
            need(length, "a string of " + length + " bytes");
            return body.readCharSequence(length, StandardCharsets.UTF_8).toString();
        }

        void requireEnd(FrameType type) {
            if (body.isReadable()) {
                throw new FrameException(CloseReason.MALFORMED, type + " body has "
                        + body.readableBytes() + " bytes after its last field");
            }
        }
    }
}
