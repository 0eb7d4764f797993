package io.confman.store.command;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * The binary form of a {@link Command} in a log entry, documented byte by byte in
 * {@code http/STORE.md} ("Command format"). Multi-byte integers are big-endian.
 *
 * <p>The first byte is the format version, so that a later format can be read next to
 * this one. Every tag byte has 0 as its invalid value, so that zero bytes (padding, or a
 * buffer not written) never decode as a command; a trailing CRC32C catches any other
 * change, and bytes after the CRC are an error. Decoding reads the whole command before
 * returning it, so a malformed command is never half-applied.
 */
public final class CommandCodec {
    /** Version 2 added firstOutstanding to the request id; version 1 is refused by name. */
    public static final int VERSION_2 = 2;

    public static final int TYPE_INVALID = 0;
    public static final int TYPE_PUT = 1;
    public static final int TYPE_DELETE = 2;
    public static final int TYPE_RELOCATE = 3;

    public static final int PRECONDITION_INVALID = 0;
    public static final int PRECONDITION_NONE = 1;
    public static final int PRECONDITION_CREATE_ONLY = 2;
    public static final int PRECONDITION_IF_MOD_REVISION = 3;

    public static final int VALUE_INVALID = 0;
    public static final int VALUE_INLINE = 1;
    public static final int VALUE_BLOB = 2;

    /** Version, type, client id, sequence and first outstanding. */
    static final int FIXED_HEADER_BYTES = 1 + 1 + 8 + 8 + 8;
    /** Where the request id's fields sit in every version-1 command. */
    public static final int CLIENT_ID_OFFSET = 2;
    public static final int SEQUENCE_OFFSET = 10;
    public static final int FIRST_OUTSTANDING_OFFSET = 18;
    static final int CRC_BYTES = 4;

    private CommandCodec() {
    }

    public static byte[] encode(Command command) {
        byte[] namespace = command.namespace().getBytes(StandardCharsets.UTF_8);
        byte[] key = command.key().getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(encodedBytes(command, namespace.length, key.length));
        out.put((byte) VERSION_2);
        out.put((byte) typeOf(command));
        out.putLong(command.requestId().clientId());
        out.putLong(command.requestId().sequence());
        out.putLong(command.requestId().firstOutstanding());
        out.putShort((short) namespace.length).put(namespace);
        out.putShort((short) key.length).put(key);
        encodePrecondition(out, command.precondition());
        if (command instanceof Command.Put put) {
            encodeValue(out, put.value());
        } else if (command instanceof Command.Relocate relocate) {
            encodeValue(out, relocate.pointer());
        }
        CRC32C crc = new CRC32C();
        crc.update(out.array(), 0, out.position());
        out.putInt((int) crc.getValue());
        if (out.hasRemaining()) { // Not check(): its message would be built for every command.
            throw new IllegalStateException("encoded size was computed wrongly: " + out.remaining() + " bytes left");
        }
        return out.array();
    }

    private static int typeOf(Command command) {
        if (command instanceof Command.Put) {
            return TYPE_PUT;
        }
        return command instanceof Command.Delete ? TYPE_DELETE : TYPE_RELOCATE;
    }

    /** The size of {@code command}'s encoding, which does not depend on its request id. */
    public static int encodedBytes(Command command) {
        return encodedBytes(command, command.namespace().getBytes(StandardCharsets.UTF_8).length,
                command.key().getBytes(StandardCharsets.UTF_8).length);
    }

    private static int encodedBytes(Command command, int namespaceBytes, int keyBytes) {
        long size = FIXED_HEADER_BYTES + 2 + namespaceBytes + 2 + keyBytes + 1 + CRC_BYTES;
        if (command.precondition() instanceof Precondition.IfModRevision) {
            size += 8;
        }
        Value value = command instanceof Command.Put put ? put.value()
                : command instanceof Command.Relocate relocate ? relocate.pointer() : null;
        if (value != null) {
            size += 1;
            if (value instanceof Value.Inline inline) {
                size += 4 + inline.sizeBytes();
            } else {
                Value.BlobPointer blob = (Value.BlobPointer) value;
                size += Value.BlobPointer.DIGEST_BYTES + 8 + 1 + blob.contentType().length();
            }
        }
        return Math.toIntExact(size);
    }

    private static void encodePrecondition(ByteBuffer out, Precondition precondition) {
        if (precondition instanceof Precondition.IfModRevision ifModRevision) {
            out.put((byte) PRECONDITION_IF_MOD_REVISION).putLong(ifModRevision.modRevision());
        } else if (precondition instanceof Precondition.CreateOnly) {
            out.put((byte) PRECONDITION_CREATE_ONLY);
        } else {
            out.put((byte) PRECONDITION_NONE);
        }
    }

    private static void encodeValue(ByteBuffer out, Value value) {
        if (value instanceof Value.Inline inline) {
            out.put((byte) VALUE_INLINE).putInt(inline.array().length).put(inline.array());
        } else {
            Value.BlobPointer blob = (Value.BlobPointer) value;
            byte[] contentType = blob.contentTypeBytes();
            out.put((byte) VALUE_BLOB).put(blob.digest().buffer()).putLong(blob.sizeBytes());
            out.put((byte) contentType.length).put(contentType);
        }
    }

    /**
     * Decodes a whole command.
     *
     * @throws CommandDecodingException naming the problem and its offset, for a command
     *         that is empty, truncated, padded, of an unknown version, or otherwise invalid
     */
    public static Command decode(byte[] bytes) {
        Reader in = new Reader(bytes);
        if (bytes.length == 0) {
            throw new CommandDecodingException("empty command", 0);
        }
        int version = in.u8("version");
        if (version != VERSION_2) {
            throw new CommandDecodingException("unknown command format version " + version
                    + " (this node reads version " + VERSION_2 + ")", 0);
        }
        Command command = decodeVersion2(in);
        int crcOffset = in.offset();
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, crcOffset);
        int storedCrc = in.u32("crc32c");
        if (storedCrc != (int) crc.getValue()) {
            throw new CommandDecodingException("crc32c mismatch: stored " + Integer.toHexString(storedCrc)
                    + ", computed " + Long.toHexString(crc.getValue()), crcOffset);
        }
        if (in.offset() != bytes.length) {
            throw new CommandDecodingException((bytes.length - in.offset()) + " bytes after the end of the command",
                    in.offset());
        }
        return command;
    }

    private static Command decodeVersion2(Reader in) {
        int typeOffset = in.offset();
        int type = in.u8("type");
        if (type != TYPE_PUT && type != TYPE_DELETE && type != TYPE_RELOCATE) {
            throw new CommandDecodingException("invalid command type " + type, typeOffset);
        }
        int requestIdOffset = in.offset();
        long clientId = in.u64("clientId");
        long sequence = in.u64("sequence");
        long firstOutstanding = in.u64("firstOutstanding");
        RequestId requestId = in.build(requestIdOffset, () -> new RequestId(clientId, sequence, firstOutstanding));
        int namespaceOffset = in.offset();
        String namespace = in.utf8(in.u16("namespaceLength"), "namespace");
        in.build(namespaceOffset, () -> {
            Names.checkNamespace(namespace);
            return namespace;
        });
        int keyOffset = in.offset();
        String key = in.utf8(in.u16("keyLength"), "key");
        in.build(keyOffset, () -> {
            Names.checkKey(key);
            return key;
        });
        int preconditionOffset = in.offset();
        Precondition precondition = decodePrecondition(in);
        if (type == TYPE_DELETE) {
            return in.build(preconditionOffset, () -> new Command.Delete(requestId, namespace, key, precondition));
        }
        int valueOffset = in.offset();
        Value value = decodeValue(in);
        if (type == TYPE_RELOCATE) {
            if (!(precondition instanceof Precondition.IfModRevision ifModRevision)) {
                throw new CommandDecodingException("a relocate needs an if-mod-revision precondition, has "
                        + precondition, preconditionOffset);
            }
            if (!(value instanceof Value.BlobPointer pointer)) {
                throw new CommandDecodingException("a relocate carries a blob pointer, not an inline value",
                        valueOffset);
            }
            return in.build(valueOffset, () -> new Command.Relocate(requestId, namespace, key, pointer,
                    ifModRevision));
        }
        return in.build(valueOffset, () -> new Command.Put(requestId, namespace, key, value, precondition));
    }

    private static Precondition decodePrecondition(Reader in) {
        int offset = in.offset();
        int kind = in.u8("precondition");
        return switch (kind) {
            case PRECONDITION_NONE -> Precondition.NONE;
            case PRECONDITION_CREATE_ONLY -> Precondition.CREATE_ONLY;
            case PRECONDITION_IF_MOD_REVISION -> {
                long modRevision = in.u64("precondition modRevision");
                yield in.build(offset, () -> new Precondition.IfModRevision(modRevision));
            }
            default -> throw new CommandDecodingException("invalid precondition kind " + kind, offset);
        };
    }

    private static Value decodeValue(Reader in) {
        int offset = in.offset();
        int kind = in.u8("value kind");
        return switch (kind) {
            case VALUE_INLINE -> {
                int lengthOffset = in.offset();
                long length = Integer.toUnsignedLong(in.u32("value length"));
                if (length > Names.INLINE_VALUE_BYTES_MAX) {
                    throw new CommandDecodingException("inline value length " + length + " is over the maximum "
                            + Names.INLINE_VALUE_BYTES_MAX, lengthOffset);
                }
                yield Value.Inline.owning(in.bytes((int) length, "value"));
            }
            case VALUE_BLOB -> {
                byte[] digest = in.bytes(Value.BlobPointer.DIGEST_BYTES, "blob sha256");
                long size = in.u64("blob size");
                int contentTypeLength = in.u8("content type length");
                byte[] contentType = in.bytes(contentTypeLength, "content type");
                yield in.build(offset, () -> new Value.BlobPointer(digest, size,
                        new String(contentType, StandardCharsets.ISO_8859_1)));
            }
            default -> throw new CommandDecodingException("invalid value kind " + kind, offset);
        };
    }

    private static void check(boolean condition, String message) {
        if (!condition) {
            throw new IllegalStateException(message);
        }
    }

    /** Reads fields from a command's bytes, naming the field and offset in every error. */
    private static final class Reader {
        private final ByteBuffer buffer;

        Reader(byte[] bytes) {
            this.buffer = ByteBuffer.wrap(bytes);
        }

        int offset() {
            return buffer.position();
        }

        private void need(int count, String field) {
            if (buffer.remaining() < count) {
                throw new CommandDecodingException("truncated: " + field + " needs " + count + " bytes, "
                        + buffer.remaining() + " left", buffer.position());
            }
        }

        int u8(String field) {
            need(1, field);
            return Byte.toUnsignedInt(buffer.get());
        }

        int u16(String field) {
            need(2, field);
            return Short.toUnsignedInt(buffer.getShort());
        }

        int u32(String field) {
            need(4, field);
            return buffer.getInt();
        }

        long u64(String field) {
            need(8, field);
            return buffer.getLong();
        }

        byte[] bytes(int count, String field) {
            need(count, field);
            byte[] bytes = new byte[count];
            try {
                buffer.get(bytes);
            } catch (BufferUnderflowException e) {
                throw new IllegalStateException("need() let a short read through", e);
            }
            return bytes;
        }

        String utf8(int length, String field) {
            int offset = buffer.position();
            byte[] bytes = bytes(length, field);
            try {
                return Names.decodeUtf8(bytes);
            } catch (java.nio.charset.CharacterCodingException e) {
                throw new CommandDecodingException(field + " is not valid UTF-8: " + e, offset);
            }
        }

        /** Runs a validating constructor, turning its complaint into a decoding error at {@code offset}. */
        <T> T build(int offset, java.util.function.Supplier<T> constructor) {
            try {
                return constructor.get();
            } catch (IllegalArgumentException e) {
                throw new CommandDecodingException(e.getMessage(), offset);
            }
        }
    }
}
