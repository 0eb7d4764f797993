package io.confman.store;

import io.confman.store.command.Names;
import io.confman.store.command.Value;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.zip.CRC32C;

/**
 * The snapshot stream, documented byte by byte in {@code http/STORE.md} ("Snapshot
 * format"). Integers are big-endian. Both directions stream: the writer buffers
 * {@link #BUFFER_BYTES} at a time and the reader holds one record at a time.
 */
final class SnapshotFormat {
    /** The ASCII bytes {@code CONFSNAP}, read as a big-endian u64. */
    static final long SNAPSHOT_MAGIC = ByteBuffer.wrap("CONFSNAP".getBytes(StandardCharsets.US_ASCII)).getLong();
    /** Version 2: a session holds many results (STORE.md); version 1 is refused by name. */
    static final int FORMAT_VERSION = 2;
    /** Tag 0 is invalid so that zero bytes, such as padding, never read as a record. */
    static final int RECORD_INVALID = 0;
    static final int RECORD_KEY = 1;
    static final int RECORD_SESSION = 2;
    static final int RECORD_END = 3;

    static final int VALUE_INLINE = 1;
    static final int VALUE_BLOB = 2;

    static final int RESULT_CREATED = 1;
    static final int RESULT_UPDATED = 2;
    static final int RESULT_DELETED = 3;
    static final int RESULT_PRECONDITION_FAILED = 4;
    static final int RESULT_NOT_FOUND = 5;
    static final int RESULT_RELOCATED = 6;

    static final int BUFFER_BYTES = 64 * 1024;

    private SnapshotFormat() {
    }

    // ---- Writing ---------------------------------------------------------------------

    static void write(SnapshotView view, OutputStream out) throws IOException {
        Output data = new Output(out);
        data.writeLong(SNAPSHOT_MAGIC);
        data.writeInt(FORMAT_VERSION);
        data.writeInt(view.clientSessionsMax());
        data.writeLong(view.appliedIndex());
        data.writeLong(view.revision());
        data.writeLong(view.keyCount());
        data.writeInt(view.sessions().size());
        long[] written = {0};
        view.forEachRecord((namespace, key, record) -> {
            writeKey(data, namespace, key, record);
            written[0]++;
        });
        if (written[0] != view.keyCount()) {
            throw new IllegalStateException("snapshot view wrote " + written[0] + " keys, its header says "
                    + view.keyCount());
        }
        for (ClientSessions.Session session : view.sessions()) {
            writeSession(data, session);
        }
        data.writeByte(RECORD_END);
        data.finish();
        out.flush();
    }

    private static void writeKey(Output data, String namespace, String key, KeyRecord record) throws IOException {
        data.writeByte(RECORD_KEY);
        data.writeNamespace(namespace);
        data.writeString(key);
        data.writeLong(record.version());
        data.writeLong(record.createRevision());
        data.writeLong(record.modRevision());
        if (record.value() instanceof Value.Inline inline) {
            data.writeByte(VALUE_INLINE);
            data.writeInt((int) inline.sizeBytes());
            data.write(inline.bytes());
        } else {
            Value.BlobPointer blob = (Value.BlobPointer) record.value();
            data.writeByte(VALUE_BLOB);
            data.write(blob.digest().buffer());
            data.writeLong(blob.sizeBytes());
            data.writeShortAscii(blob.contentType());
        }
    }

    private static void writeSession(Output data, ClientSessions.Session session) throws IOException {
        data.writeByte(RECORD_SESSION);
        data.writeLong(session.clientId());
        data.writeLong(session.firstOutstanding());
        data.writeInt(session.results().size());
        for (ClientSessions.Result result : session.results()) {
            data.writeLong(result.sequence());
            writeResult(data, result.result());
        }
    }

    private static void writeResult(Output data, ApplyResult result) throws IOException {
        if (result instanceof ApplyResult.Created created) {
            data.writeByte(RESULT_CREATED);
            writeMeta(data, created.meta());
        } else if (result instanceof ApplyResult.Updated updated) {
            data.writeByte(RESULT_UPDATED);
            writeMeta(data, updated.meta());
        } else if (result instanceof ApplyResult.Relocated relocated) {
            data.writeByte(RESULT_RELOCATED);
            writeMeta(data, relocated.meta());
        } else if (result instanceof ApplyResult.Deleted deleted) {
            data.writeByte(RESULT_DELETED);
            data.writeString(deleted.namespace());
            data.writeString(deleted.key());
            data.writeLong(deleted.revision());
        } else if (result instanceof ApplyResult.PreconditionFailed failed) {
            data.writeByte(RESULT_PRECONDITION_FAILED);
            data.writeString(failed.namespace());
            data.writeString(failed.key());
            data.writeLong(failed.currentModRevision());
        } else if (result instanceof ApplyResult.NotFound notFound) {
            data.writeByte(RESULT_NOT_FOUND);
            data.writeString(notFound.namespace());
            data.writeString(notFound.key());
        } else {
            throw new IllegalStateException("a session never holds " + result);
        }
    }

    private static void writeMeta(Output data, KeyMeta meta) throws IOException {
        data.writeString(meta.namespace());
        data.writeString(meta.key());
        data.writeLong(meta.version());
        data.writeLong(meta.createRevision());
        data.writeLong(meta.modRevision());
        data.writeLong(meta.sizeBytes());
        data.writeByte(meta.blob() ? 1 : 0);
    }

    /**
     * The writer's buffer: fields go into one heap buffer of {@link #BUFFER_BYTES}, which is
     * checksummed and handed to the stream whole when full; a value larger than the buffer
     * passes through it in buffer-sized pieces. Names are encoded without a temporary array when they are
     * ASCII, and the namespace of the previous key is reused, since keys come grouped by it.
     */
    private static final class Output {
        private final OutputStream out;
        private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES);
        private final CRC32C crc = new CRC32C();
        private String lastNamespace;
        private byte[] lastNamespaceBytes;

        Output(OutputStream out) {
            this.out = out;
        }

        private void room(int bytes) throws IOException {
            if (buffer.remaining() < bytes) {
                flush();
            }
        }

        private void flush() throws IOException {
            crc.update(buffer.array(), 0, buffer.position());
            out.write(buffer.array(), 0, buffer.position());
            buffer.clear();
        }

        void writeByte(int value) throws IOException {
            room(1);
            buffer.put((byte) value);
        }

        void writeInt(int value) throws IOException {
            room(4);
            buffer.putInt(value);
        }

        void writeLong(long value) throws IOException {
            room(8);
            buffer.putLong(value);
        }

        void write(ByteBuffer bytes) throws IOException {
            if (bytes.remaining() <= buffer.remaining()) {
                buffer.put(bytes);
                return;
            }
            flush();
            if (bytes.remaining() <= buffer.remaining()) {
                buffer.put(bytes);
                return;
            }
            while (bytes.hasRemaining()) { // Larger than the buffer: in buffer-sized pieces.
                int length = Math.min(bytes.remaining(), buffer.remaining());
                buffer.put(bytes.slice(bytes.position(), length));
                bytes.position(bytes.position() + length);
                flush();
            }
        }

        void writeNamespace(String namespace) throws IOException {
            if (!namespace.equals(lastNamespace)) {
                lastNamespace = namespace;
                lastNamespaceBytes = namespace.getBytes(StandardCharsets.UTF_8);
            }
            writeShort(lastNamespaceBytes.length);
            write(ByteBuffer.wrap(lastNamespaceBytes));
        }

        /** A u16 length and the UTF-8 bytes; the caller's names are at most 1,024 bytes. */
        void writeString(String string) throws IOException {
            int length = string.length();
            if (2 + length > buffer.capacity()) { // Longer than any valid name: the general path.
                byte[] bytes = string.getBytes(StandardCharsets.UTF_8);
                writeShort(bytes.length);
                write(ByteBuffer.wrap(bytes));
                return;
            }
            room(2 + length);
            int start = buffer.position();
            buffer.putShort((short) length);
            for (int i = 0; i < length; i++) {
                char c = string.charAt(i);
                if (c >= 0x80) { // Not ASCII: undo and take the general path.
                    buffer.position(start);
                    byte[] bytes = string.getBytes(StandardCharsets.UTF_8);
                    writeShort(bytes.length);
                    write(ByteBuffer.wrap(bytes));
                    return;
                }
                buffer.put((byte) c);
            }
        }

        /** A u8 length and the characters of a printable ASCII string of at most 255 (a content type). */
        void writeShortAscii(String ascii) throws IOException {
            int length = ascii.length();
            room(1 + length);
            buffer.put((byte) length);
            for (int i = 0; i < length; i++) {
                buffer.put((byte) ascii.charAt(i));
            }
        }

        private void writeShort(int value) throws IOException {
            room(2);
            buffer.putShort((short) value);
        }

        /** Flushes the rest and appends the CRC32C of every byte before it. */
        void finish() throws IOException {
            flush();
            buffer.putInt((int) crc.getValue());
            out.write(buffer.array(), 0, buffer.position());
            buffer.clear();
        }
    }

    // ---- Reading ---------------------------------------------------------------------

    static void read(InputStream stream, ConfigStore store) throws IOException {
        Input in = new Input(stream);
        long magic = in.u64("magic");
        if (magic != SNAPSHOT_MAGIC) {
            throw new SnapshotFormatException("not a Confman snapshot: magic " + Long.toHexString(magic), 0);
        }
        int version = in.u32("format version");
        if (version != FORMAT_VERSION) {
            throw new SnapshotFormatException("unknown snapshot format version " + version
                    + " (this node reads version " + FORMAT_VERSION + ")", 8);
        }
        int clientSessionsMax = in.u32("clientSessionsMax");
        if (clientSessionsMax != store.limits().clientSessionsMax()) {
            throw new SnapshotFormatException("snapshot was written with clientSessionsMax " + clientSessionsMax
                    + ", this node has " + store.limits().clientSessionsMax() + "; every member must agree", 12);
        }
        long appliedIndex = in.u64("applied index");
        long revision = in.u64("revision");
        long keyCount = in.u64("key count");
        long sessionCount = Integer.toUnsignedLong(in.u32("session count"));
        in.require(appliedIndex >= 0 && revision >= 0 && keyCount >= 0 && revision <= appliedIndex,
                "header fields out of range: index " + appliedIndex + ", revision " + revision
                        + ", keys " + keyCount, 16);
        in.require(sessionCount <= clientSessionsMax, "session count " + sessionCount + " over clientSessionsMax", 40);
        store.restoreHeader(appliedIndex, revision);
        readKeys(in, store, keyCount, revision);
        readSessions(in, store, sessionCount);
        in.tag(RECORD_END, "end");
        long crcOffset = in.offset();
        int computed = in.crc();
        int stored = in.u32("crc32c");
        in.require(stored == computed, "crc32c mismatch: stored " + Integer.toHexString(stored) + ", computed "
                + Integer.toHexString(computed), crcOffset);
        in.requireEnd();
    }

    private static void readKeys(Input in, ConfigStore store, long keyCount, long revision) throws IOException {
        NsKey previous = null;
        for (long i = 0; i < keyCount; i++) {
            long offset = in.offset();
            in.tag(RECORD_KEY, "key record", i, keyCount);
            String namespace = in.string("namespace");
            String key = in.string("key");
            in.validate(offset, () -> {
                Names.checkNamespace(namespace);
                Names.checkKey(key);
                return key;
            });
            NsKey id = new NsKey(namespace, key);
            if (previous != null && compare(previous, id) >= 0) {
                throw new SnapshotFormatException("key " + id + " is not after " + previous, offset);
            }
            long version = in.u64("version");
            long createRevision = in.u64("create_revision");
            long modRevision = in.u64("mod_revision");
            in.require(version >= 1 && createRevision >= 1 && createRevision <= modRevision && modRevision <= revision,
                    "key " + id + " has version " + version + ", create_revision " + createRevision
                            + ", mod_revision " + modRevision + " (revision " + revision + ")", offset);
            Value value = readValue(in);
            store.restoreKey(id, new KeyRecord(value, version, createRevision, modRevision));
            previous = id;
        }
    }

    private static int compare(NsKey a, NsKey b) {
        int byNamespace = a.namespace().compareTo(b.namespace());
        return byNamespace != 0 ? byNamespace : a.key().compareTo(b.key());
    }

    private static Value readValue(Input in) throws IOException {
        long offset = in.offset();
        int kind = in.u8("value kind");
        if (kind == VALUE_INLINE) {
            long length = Integer.toUnsignedLong(in.u32("value length"));
            in.require(length <= Names.INLINE_VALUE_BYTES_MAX, "inline value of " + length + " bytes is over "
                    + Names.INLINE_VALUE_BYTES_MAX, offset);
            return Value.Inline.copyOf(in.bytes((int) length, "value"));
        }
        if (kind == VALUE_BLOB) {
            byte[] digest = in.bytes(Value.BlobPointer.DIGEST_BYTES, "blob sha256");
            long size = in.u64("blob size");
            byte[] contentType = in.bytes(in.u8("content type length"), "content type");
            return in.validate(offset, () -> new Value.BlobPointer(digest, size,
                    new String(contentType, StandardCharsets.ISO_8859_1)));
        }
        throw new SnapshotFormatException("invalid value kind " + kind, offset);
    }

    private static void readSessions(Input in, ConfigStore store, long sessionCount) throws IOException {
        Set<Long> clients = new HashSet<>();
        for (long i = 0; i < sessionCount; i++) {
            long offset = in.offset();
            in.tag(RECORD_SESSION, "session record", i, sessionCount);
            long clientId = in.u64("client id");
            long firstOutstanding = in.u64("first outstanding");
            long resultCount = Integer.toUnsignedLong(in.u32("result count"));
            in.require(clientId != 0 && firstOutstanding >= 1, "session of client " + clientId
                    + " with first outstanding " + firstOutstanding, offset);
            in.require(clients.add(clientId), "client " + clientId + " has two sessions", offset);
            in.require(resultCount <= StoreLimits.RESULTS_PER_SESSION_MAX, "session of client " + clientId
                    + " holds " + resultCount + " results, over " + StoreLimits.RESULTS_PER_SESSION_MAX, offset);
            List<ClientSessions.Result> results = new ArrayList<>((int) resultCount);
            long previous = firstOutstanding - 1;
            for (long r = 0; r < resultCount; r++) {
                long resultOffset = in.offset();
                long sequence = in.u64("sequence");
                in.require(sequence > previous, "session of client " + clientId + ": sequence " + sequence
                        + " is not above " + previous, resultOffset);
                results.add(new ClientSessions.Result(sequence, readResult(in)));
                previous = sequence;
            }
            store.restoreSession(new ClientSessions.Session(clientId, firstOutstanding, results));
        }
    }

    private static ApplyResult readResult(Input in) throws IOException {
        long offset = in.offset();
        int kind = in.u8("result kind");
        switch (kind) {
            case RESULT_CREATED:
            case RESULT_UPDATED:
            case RESULT_RELOCATED: {
                String namespace = in.string("namespace");
                String key = in.string("key");
                long version = in.u64("version");
                long createRevision = in.u64("create_revision");
                long modRevision = in.u64("mod_revision");
                long sizeBytes = in.u64("size");
                int blob = in.u8("blob");
                in.require(blob == 0 || blob == 1, "blob flag " + blob, offset);
                KeyMeta meta = in.validate(offset, () -> new KeyMeta(namespace, key, version, createRevision,
                        modRevision, sizeBytes, blob == 1));
                return kind == RESULT_CREATED ? new ApplyResult.Created(meta)
                        : kind == RESULT_UPDATED ? new ApplyResult.Updated(meta) : new ApplyResult.Relocated(meta);
            }
            case RESULT_DELETED:
                return new ApplyResult.Deleted(in.string("namespace"), in.string("key"), in.u64("revision"));
            case RESULT_PRECONDITION_FAILED:
                return new ApplyResult.PreconditionFailed(in.string("namespace"), in.string("key"),
                        in.u64("current mod_revision"));
            case RESULT_NOT_FOUND:
                return new ApplyResult.NotFound(in.string("namespace"), in.string("key"));
            default:
                throw new SnapshotFormatException("invalid session result kind " + kind, offset);
        }
    }

    /** Reads fields, keeping the CRC32C and the offset, and names both in every error. */
    private static final class Input {
        private final InputStream in;
        private final CRC32C crc = new CRC32C();
        private final byte[] scratch = new byte[8];
        private long offset;

        Input(InputStream stream) {
            this.in = new BufferedInputStream(stream, BUFFER_BYTES);
        }

        long offset() {
            return offset;
        }

        int crc() {
            return (int) crc.getValue();
        }

        private void readFully(byte[] into, int length, String field) throws IOException {
            int read = 0;
            while (read < length) {
                int count = in.read(into, read, length - read);
                if (count < 0) {
                    throw new SnapshotFormatException("truncated: " + field + " needs " + length
                            + " bytes, the stream ended after " + read, offset + read);
                }
                read += count;
            }
            crc.update(into, 0, length);
            offset += length;
        }

        int u8(String field) throws IOException {
            readFully(scratch, 1, field);
            return Byte.toUnsignedInt(scratch[0]);
        }

        int u16(String field) throws IOException {
            readFully(scratch, 2, field);
            return ByteBuffer.wrap(scratch, 0, 2).getShort() & 0xFFFF;
        }

        int u32(String field) throws IOException {
            readFully(scratch, 4, field);
            return ByteBuffer.wrap(scratch, 0, 4).getInt();
        }

        long u64(String field) throws IOException {
            readFully(scratch, 8, field);
            return ByteBuffer.wrap(scratch, 0, 8).getLong();
        }

        byte[] bytes(int length, String field) throws IOException {
            byte[] bytes = new byte[length];
            readFully(bytes, length, field);
            return bytes;
        }

        String string(String field) throws IOException {
            long start = offset;
            byte[] bytes = bytes(u16(field + " length"), field);
            try {
                return Names.decodeUtf8(bytes);
            } catch (CharacterCodingException e) {
                throw new SnapshotFormatException(field + " is not valid UTF-8: " + e, start);
            }
        }

        /** The tag of record {@code index} of {@code count}; the message is built only on a mismatch. */
        void tag(int expected, String what, long index, long count) throws IOException {
            long start = offset;
            int tag = in.read();
            if (tag < 0) {
                throw new SnapshotFormatException("truncated: " + what + " " + index + " of " + count
                        + " tag needs 1 bytes, the stream ended after 0", start);
            }
            crc.update(tag);
            offset++;
            if (tag != expected) {
                throw new SnapshotFormatException("expected the " + what + " " + index + " of " + count + " (tag "
                        + expected + "), found tag " + tag, start);
            }
        }

        void tag(int expected, String what) throws IOException {
            long start = offset;
            int tag = u8(what + " tag");
            require(tag == expected, "expected the " + what + " (tag " + expected + "), found tag " + tag, start);
        }

        void require(boolean condition, String problem, long at) throws SnapshotFormatException {
            if (!condition) {
                throw new SnapshotFormatException(problem, at);
            }
        }

        <T> T validate(long at, Supplier<T> constructor) throws SnapshotFormatException {
            try {
                return constructor.get();
            } catch (IllegalArgumentException e) {
                throw new SnapshotFormatException(e.getMessage(), at);
            }
        }

        void requireEnd() throws IOException {
            if (in.read() >= 0) {
                throw new SnapshotFormatException("bytes after the end of the snapshot", offset);
            }
        }
    }
}
