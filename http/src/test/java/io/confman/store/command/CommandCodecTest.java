package io.confman.store.command;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CommandCodecTest {
    private static final long SEED = 20261125L;

    /** A few commands covering every tag: both types, every precondition, both value kinds. */
    static List<Command> samples() {
        byte[] digest = new byte[32];
        Arrays.fill(digest, (byte) 0xAB);
        return List.of(
                new Command.Put(new RequestId(7, 1), "app", "db/url", Value.Inline.copyOf("postgres://x".getBytes()), Precondition.NONE),
                new Command.Put(RequestId.NONE, "a", "k", Value.Inline.copyOf(new byte[0]), Precondition.CREATE_ONLY),
                new Command.Put(new RequestId(-1, Long.MAX_VALUE), "ns", "ключ/ü", new Value.BlobPointer(digest, 1 << 20,
                        "application/json"), new Precondition.IfModRevision(42)),
                new Command.Delete(new RequestId(3, 9), "ns", "k", Precondition.NONE),
                new Command.Delete(new RequestId(3, 10), "ns", "k", new Precondition.IfModRevision(Long.MAX_VALUE)),
                new Command.Relocate(new RequestId(4, 2), "ns", "big", new Value.BlobPointer(digest, 70_000,
                        "application/octet-stream"), new Precondition.IfModRevision(5)));
    }

    /** A relocate is a put's layout under type 3, and must carry an if-mod-revision and a pointer. */
    @Test
    void aRelocateWithoutItsPreconditionOrPointerIsRefused() {
        byte[] put = CommandCodec.encode(new Command.Put(new RequestId(4, 2), "ns", "k",
                Value.Inline.copyOf(new byte[] {1}), new Precondition.IfModRevision(5)));
        put[1] = CommandCodec.TYPE_RELOCATE;
        fixCrc(put);
        assertTrue(assertThrows(CommandDecodingException.class, () -> CommandCodec.decode(put)).getMessage()
                .contains("relocate carries a blob pointer"));
        byte[] digest = new byte[32];
        byte[] unconditional = CommandCodec.encode(new Command.Put(new RequestId(4, 2), "ns", "k",
                new Value.BlobPointer(digest, 1, "x"), Precondition.NONE));
        unconditional[1] = CommandCodec.TYPE_RELOCATE;
        fixCrc(unconditional);
        assertTrue(assertThrows(CommandDecodingException.class, () -> CommandCodec.decode(unconditional))
                .getMessage().contains("needs an if-mod-revision"));
    }

    @Test
    void samplesRoundTrip() {
        for (Command command : samples()) {
            assertEquals(command, CommandCodec.decode(CommandCodec.encode(command)));
        }
    }

    /** The example in STORE.md, byte for byte. */
    @Test
    void theDocumentedExampleMatches() {
        byte[] bytes = CommandCodec.encode(new Command.Put(new RequestId(7, 1), "app", "db/url",
                Value.Inline.copyOf("on".getBytes(java.nio.charset.StandardCharsets.US_ASCII)), Precondition.NONE));
        assertEquals("02 01 00 00 00 00 00 00 00 07 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 01"
                        + " 00 03 61 70 70 00 06 64 62 2f 75 72 6c 01 01 00 00 00 02 6f 6e 4c 7d b0 7b",
                java.util.HexFormat.ofDelimiter(" ").formatHex(bytes));
    }

    @Test
    void randomCommandsRoundTrip() {
        Random random = new Random(SEED);
        for (int i = 0; i < 5_000; i++) {
            Command command = randomCommand(random);
            byte[] bytes = CommandCodec.encode(command);
            assertEquals(command, CommandCodec.decode(bytes), "seed " + SEED + " command " + i);
            assertArrayEquals(bytes, CommandCodec.encode(CommandCodec.decode(bytes)), "encoding is canonical");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 8, 64, 256})
    void strayZerosBeforeAreRejected(int zeros) {
        for (Command command : samples()) {
            byte[] bytes = insertZeros(CommandCodec.encode(command), 0, zeros);
            CommandDecodingException e = assertThrows(CommandDecodingException.class, () -> CommandCodec.decode(bytes));
            assertEquals("unknown command format version 0 (this node reads version 2) (at offset 0)", e.getMessage());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 8, 64, 256})
    void strayZerosAfterTheVersionByteAreRejected(int zeros) {
        for (Command command : samples()) {
            byte[] bytes = insertZeros(CommandCodec.encode(command), 1, zeros);
            CommandDecodingException e = assertThrows(CommandDecodingException.class, () -> CommandCodec.decode(bytes));
            assertEquals("invalid command type 0 (at offset 1)", e.getMessage());
            assertEquals(1, e.offset());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 8, 64, 256})
    void strayZerosAfterAreRejected(int zeros) {
        for (Command command : samples()) {
            byte[] encoded = CommandCodec.encode(command);
            byte[] bytes = insertZeros(encoded, encoded.length, zeros);
            CommandDecodingException e = assertThrows(CommandDecodingException.class, () -> CommandCodec.decode(bytes));
            assertEquals(zeros + " bytes after the end of the command (at offset " + encoded.length + ")", e.getMessage());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 8, 64, 256})
    void strayZerosAtEveryPositionAreRejected(int zeros) {
        for (Command command : samples()) {
            byte[] encoded = CommandCodec.encode(command);
            for (int position = 0; position <= encoded.length; position++) {
                byte[] bytes = insertZeros(encoded, position, zeros);
                assertThrows(CommandDecodingException.class, () -> CommandCodec.decode(bytes),
                        zeros + " zeros at " + position + " of " + command);
            }
        }
    }

    @Test
    void truncationAtEveryOffsetIsRejected() {
        for (Command command : samples()) {
            byte[] encoded = CommandCodec.encode(command);
            for (int length = 0; length < encoded.length; length++) {
                byte[] bytes = Arrays.copyOf(encoded, length);
                CommandDecodingException e = assertThrows(CommandDecodingException.class,
                        () -> CommandCodec.decode(bytes), "truncated to " + length);
                assertTrue(e.getMessage().startsWith(length == 0 ? "empty command" : "truncated: "), e.getMessage());
                assertTrue(e.offset() <= length, "the error points inside the bytes: " + e.getMessage());
            }
        }
    }

    @Test
    void everySingleBitFlipIsRejected() {
        for (Command command : samples()) {
            byte[] encoded = CommandCodec.encode(command);
            for (int bit = 0; bit < encoded.length * 8; bit++) {
                byte[] bytes = encoded.clone();
                bytes[bit / 8] ^= (byte) (1 << (bit % 8));
                assertThrows(CommandDecodingException.class, () -> CommandCodec.decode(bytes), "bit " + bit);
            }
        }
    }

    @Test
    void unknownVersionIsNamed() {
        byte[] bytes = CommandCodec.encode(samples().get(0));
        bytes[0] = 1; // The first format, before requests carried firstOutstanding: refused by name.
        CommandDecodingException e = assertThrows(CommandDecodingException.class, () -> CommandCodec.decode(bytes));
        assertEquals("unknown command format version 1 (this node reads version 2) (at offset 0)", e.getMessage());
    }

    @Test
    void crcMismatchIsNamed() {
        byte[] bytes = CommandCodec.encode(samples().get(0));
        bytes[bytes.length - 1] ^= 1;
        CommandDecodingException e = assertThrows(CommandDecodingException.class, () -> CommandCodec.decode(bytes));
        assertTrue(e.getMessage().startsWith("crc32c mismatch"), e.getMessage());
        assertEquals(bytes.length - 4, e.offset());
    }

    @Test
    void invalidNamesAreRejectedWithClearMessages() {
        Value value = Value.Inline.copyOf(new byte[1]);
        assertEquals("namespace must not be empty", assertThrows(IllegalArgumentException.class,
                () -> new Command.Put(RequestId.NONE, "", "k", value, Precondition.NONE)).getMessage());
        assertEquals("namespace must not contain '/', found at index 1", assertThrows(IllegalArgumentException.class,
                () -> new Command.Put(RequestId.NONE, "a/b", "k", value, Precondition.NONE)).getMessage());
        assertEquals("key must not contain control characters, has U+000A at index 2",
                assertThrows(IllegalArgumentException.class,
                        () -> new Command.Put(RequestId.NONE, "a", "ab\nc", value, Precondition.NONE)).getMessage());
        assertEquals("key must not be empty", assertThrows(IllegalArgumentException.class,
                () -> new Command.Delete(RequestId.NONE, "a", "", Precondition.NONE)).getMessage());
        assertEquals("key is 1025 UTF-8 bytes, at most 1024 allowed", assertThrows(IllegalArgumentException.class,
                () -> Names.checkKey("k".repeat(1025))).getMessage());
        assertEquals("namespace is 129 UTF-8 bytes, at most 128 allowed", assertThrows(IllegalArgumentException.class,
                () -> Names.checkNamespace("é".repeat(64) + "x")).getMessage());
        assertEquals("a delete cannot be create-only", assertThrows(IllegalArgumentException.class,
                () -> new Command.Delete(RequestId.NONE, "a", "k", Precondition.CREATE_ONLY)).getMessage());
        Names.checkKey("k".repeat(1024));
        Names.checkNamespace("é".repeat(64));
    }

    @Test
    void controlCharactersAndBrokenSurrogatesAreRejected() {
        assertEquals("key must not contain control characters, has U+007F at index 0",
                assertThrows(IllegalArgumentException.class, () -> Names.checkKey("\u007F")).getMessage());
        assertEquals("namespace must not contain control characters, has U+0085 at index 1",
                assertThrows(IllegalArgumentException.class, () -> Names.checkNamespace("a\u0085")).getMessage());
        assertEquals("key has an unpaired surrogate at index 1",
                assertThrows(IllegalArgumentException.class, () -> Names.checkKey("a\uD83D")).getMessage());
        assertEquals("key has an unpaired surrogate at index 0",
                assertThrows(IllegalArgumentException.class, () -> Names.checkKey("\uDE00b")).getMessage());
        Names.checkKey("\uD83D\uDE00");
    }

    @Test
    void invalidUtf8IsADecodingError() {
        byte[] bytes = CommandCodec.encode(new Command.Delete(RequestId.NONE, "ns", "kk", Precondition.NONE));
        int keyOffset = CommandCodec.FIXED_HEADER_BYTES + 2 + 2 + 2;
        bytes[keyOffset] = (byte) 0xC3; // a two-byte sequence whose second byte is not a continuation
        fixCrc(bytes);
        CommandDecodingException e = assertThrows(CommandDecodingException.class, () -> CommandCodec.decode(bytes));
        assertTrue(e.getMessage().startsWith("key is not valid UTF-8"), e.getMessage());
        assertEquals(keyOffset, e.offset());
    }

    @Test
    void aNamespaceWithASlashInTheBytesIsADecodingError() {
        byte[] bytes = CommandCodec.encode(new Command.Delete(RequestId.NONE, "ab", "k", Precondition.NONE));
        bytes[CommandCodec.FIXED_HEADER_BYTES + 2 + 1] = '/';
        fixCrc(bytes);
        CommandDecodingException e = assertThrows(CommandDecodingException.class, () -> CommandCodec.decode(bytes));
        assertEquals("namespace must not contain '/', found at index 1 (at offset 26)", e.getMessage());
    }

    @Test
    void aCreateOnlyDeleteIsADecodingError() {
        byte[] bytes = CommandCodec.encode(new Command.Delete(RequestId.NONE, "a", "k", Precondition.NONE));
        int preconditionOffset = CommandCodec.FIXED_HEADER_BYTES + 2 + 1 + 2 + 1;
        assertEquals(CommandCodec.PRECONDITION_NONE, bytes[preconditionOffset]);
        bytes[preconditionOffset] = CommandCodec.PRECONDITION_CREATE_ONLY;
        fixCrc(bytes);
        CommandDecodingException e = assertThrows(CommandDecodingException.class, () -> CommandCodec.decode(bytes));
        assertEquals("a delete cannot be create-only (at offset " + preconditionOffset + ")", e.getMessage());
    }

    @Test
    void anOversizedInlineLengthIsRejectedBeforeAllocating() {
        byte[] bytes = CommandCodec.encode(new Command.Put(RequestId.NONE, "a", "k", Value.Inline.copyOf(new byte[0]),
                Precondition.NONE));
        int lengthOffset = bytes.length - 4 - 4;
        bytes[lengthOffset] = 0x7F;
        fixCrc(bytes);
        CommandDecodingException e = assertThrows(CommandDecodingException.class, () -> CommandCodec.decode(bytes));
        assertTrue(e.getMessage().startsWith("inline value length 2130706432 is over the maximum"), e.getMessage());
        assertEquals(lengthOffset, e.offset());
    }

    private static void fixCrc(byte[] bytes) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        java.nio.ByteBuffer.wrap(bytes).putInt(bytes.length - 4, (int) crc.getValue());
    }

    static byte[] insertZeros(byte[] bytes, int position, int zeros) {
        byte[] padded = new byte[bytes.length + zeros];
        System.arraycopy(bytes, 0, padded, 0, position);
        System.arraycopy(bytes, position, padded, position + zeros, bytes.length - position);
        return padded;
    }

    static Command randomCommand(Random random) {
        RequestId requestId = random.nextInt(4) == 0 ? RequestId.NONE
                : new RequestId(random.nextLong() | 1, 1 + (random.nextLong() & Long.MAX_VALUE) % Long.MAX_VALUE);
        String namespace = randomName(random, 1 + random.nextInt(20)).replace('/', '_');
        String key = randomName(random, 1 + random.nextInt(random.nextInt(10) == 0 ? 300 : 30));
        Precondition precondition = switch (random.nextInt(3)) {
            case 0 -> Precondition.NONE;
            case 1 -> Precondition.CREATE_ONLY;
            default -> new Precondition.IfModRevision(1 + random.nextInt(1_000_000));
        };
        if (random.nextInt(3) == 0) {
            return new Command.Delete(requestId, namespace, key,
                    precondition instanceof Precondition.CreateOnly ? Precondition.NONE : precondition);
        }
        return new Command.Put(requestId, namespace, key, randomValue(random), precondition);
    }

    private static Value randomValue(Random random) {
        if (random.nextInt(4) == 0) {
            byte[] digest = new byte[32];
            random.nextBytes(digest);
            return new Value.BlobPointer(digest, random.nextLong() & Long.MAX_VALUE,
                    randomName(random, random.nextInt(40)).replaceAll("[^ -~]", "x"));
        }
        byte[] bytes = new byte[random.nextInt(random.nextInt(10) == 0 ? 5_000 : 50)];
        random.nextBytes(bytes);
        return Value.Inline.copyOf(bytes);
    }

    /** Names from ASCII, Latin, Cyrillic and emoji, so UTF-8 lengths of 1 to 4 bytes all occur. */
    private static String randomName(Random random, int length) {
        String[] alphabet = {"a", "Z", "0", "/", "-", ".", "é", "ж", "€", "😀"};
        StringBuilder name = new StringBuilder();
        while (name.length() < length) {
            name.append(alphabet[random.nextInt(alphabet.length)]);
        }
        return name.toString();
    }
}
