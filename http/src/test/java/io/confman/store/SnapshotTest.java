package io.confman.store;

import static io.confman.store.Commands.delete;
import static io.confman.store.Commands.put;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.store.command.Command;
import io.confman.store.command.CommandCodec;
import io.confman.store.command.Precondition;
import io.confman.store.command.RequestId;
import io.confman.store.command.Value;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SnapshotTest {
    private static final long SEED = 4242L;
    private static final StoreLimits LIMITS = new StoreLimits(64, 10, 1 << 20, 100);

    @Test
    void anEmptyStoreRoundTrips() throws IOException {
        ConfigStore empty = new ConfigStore(LIMITS, WaitListener.NONE);
        byte[] bytes = snapshot(empty);
        assertEquals(8 + 4 + 4 + 8 + 8 + 8 + 4 + 1 + 4, bytes.length, "header, end tag and crc");
        ConfigStore restored = restore(bytes);
        assertEquals(0, restored.appliedIndex());
        assertArrayEquals(bytes, snapshot(restored));
    }

    @Test
    void namesBeyondAsciiValuesBeyondTheBufferAndBlobsComeBackExactly() throws IOException {
        ConfigStore original = new ConfigStore(LIMITS, WaitListener.NONE);
        byte[] large = new byte[3 * SnapshotFormat.BUFFER_BYTES + 17];
        new Random(SEED).nextBytes(large);
        byte[] digest = new byte[Value.BlobPointer.DIGEST_BYTES];
        digest[0] = 7;
        original.apply(1, CommandCodec.encode(new Command.Put(new RequestId(3, 1), "ns", "ключ/ü", Value.Inline.copyOf(
                "значение".getBytes(java.nio.charset.StandardCharsets.UTF_8)), Precondition.NONE)));
        original.apply(2, CommandCodec.encode(new Command.Put(new RequestId(3, 2), "ns", "large",
                Value.Inline.copyOf(large), Precondition.NONE)));
        original.apply(3, CommandCodec.encode(new Command.Put(new RequestId(3, 3), "ns", "blob",
                new Value.BlobPointer(digest, 1 << 30, "application/json"), Precondition.NONE)));
        byte[] bytes = snapshot(original);
        ConfigStore restored = restore(bytes);
        assertEquals(original.list("ns", "", null, 10), restored.list("ns", "", null, 10));
        assertArrayEquals(large, ((Value.Inline) restored.get("ns", "large").orElseThrow().value()).copyBytes());
        assertEquals(new Value.BlobPointer(digest, 1 << 30, "application/json"),
                restored.get("ns", "blob").orElseThrow().value());
        assertEquals("значение", Commands.text(restored.get("ns", "ключ/ü").orElseThrow()));
        assertArrayEquals(bytes, snapshot(restored));
    }

    @Test
    void aRestoredStoreEqualsTheOriginalAndBehavesTheSame() throws IOException {
        Random random = new Random(SEED);
        ConfigStore original = new ConfigStore(LIMITS, WaitListener.NONE);
        List<byte[]> commands = randomCommands(random, 3_000);
        for (int i = 0; i < commands.size(); i++) {
            original.apply(i + 1, commands.get(i));
        }
        original.applyNoOp(commands.size() + 1);
        byte[] bytes = snapshot(original);
        ConfigStore restored = restore(bytes);
        assertEquals(original.appliedIndex(), restored.appliedIndex());
        assertEquals(original.revision(), restored.revision());
        assertEquals(original.keyCount(), restored.keyCount());
        assertArrayEquals(bytes, snapshot(restored), "the format is canonical, so equal bytes mean equal state");
        for (String namespace : List.of("ns0", "ns1", "ns2")) {
            assertEquals(original.list(namespace, "", null, 100), restored.list(namespace, "", null, 100));
        }
        // Replaying the same commands, retries included, must give the same results on both:
        // the session table came through the snapshot.
        List<byte[]> more = randomCommands(random, 1_000);
        more.addAll(commands.subList(commands.size() - 100, commands.size()));
        long index = original.appliedIndex();
        for (byte[] command : more) {
            index++;
            assertEquals(original.apply(index, command), restored.apply(index, command));
        }
        assertArrayEquals(snapshot(original), snapshot(restored));
    }

    @Test
    void everyTruncationIsRejected() throws IOException {
        byte[] bytes = snapshot(smallStore());
        for (int length = 0; length < bytes.length; length++) {
            byte[] truncated = Arrays.copyOf(bytes, length);
            SnapshotFormatException e = assertThrows(SnapshotFormatException.class, () -> restore(truncated),
                    "truncated to " + length);
            assertTrue(e.getMessage().startsWith("truncated: "), e.getMessage());
        }
    }

    @Test
    void everyCorruptedByteIsRejected() throws IOException {
        byte[] bytes = snapshot(smallStore());
        for (int offset = 0; offset < bytes.length; offset++) {
            for (int flip : new int[] {0x01, 0x80, 0xFF}) {
                byte[] corrupt = bytes.clone();
                corrupt[offset] ^= (byte) flip;
                assertThrows(SnapshotFormatException.class, () -> restore(corrupt), "byte " + offset + " ^ " + flip);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 8, 64, 256})
    void paddingIsRejected(int zeros) throws IOException {
        byte[] bytes = snapshot(smallStore());
        SnapshotFormatException after = assertThrows(SnapshotFormatException.class,
                () -> restore(Arrays.copyOf(bytes, bytes.length + zeros)));
        assertEquals("bytes after the end of the snapshot (at snapshot offset " + bytes.length + ")", after.getMessage());
        byte[] before = new byte[bytes.length + zeros];
        System.arraycopy(bytes, 0, before, zeros, bytes.length);
        SnapshotFormatException e = assertThrows(SnapshotFormatException.class, () -> restore(before));
        assertTrue(e.getMessage().startsWith("not a Confman snapshot: magic"), e.getMessage());
        byte[] inside = new byte[bytes.length + zeros];
        int headerBytes = 44;
        System.arraycopy(bytes, 0, inside, 0, headerBytes);
        System.arraycopy(bytes, headerBytes, inside, headerBytes + zeros, bytes.length - headerBytes);
        e = assertThrows(SnapshotFormatException.class, () -> restore(inside));
        assertEquals("expected the key record 0 of 3 (tag 1), found tag 0 (at snapshot offset 44)", e.getMessage());
    }

    @Test
    void aDifferentSessionLimitIsRefused() throws IOException {
        byte[] bytes = snapshot(smallStore());
        SnapshotFormatException e = assertThrows(SnapshotFormatException.class, () -> ConfigStore.restore(
                new ByteArrayInputStream(bytes), new StoreLimits(65, 10, 100, 100), WaitListener.NONE));
        assertEquals("snapshot was written with clientSessionsMax 64, this node has 65; every member must agree"
                + " (at snapshot offset 12)", e.getMessage());
    }

    @Test
    void anUnknownVersionIsNamed() throws IOException {
        byte[] bytes = snapshot(smallStore());
        bytes[11] = 1; // The first format, before sessions held many results: refused by name.
        SnapshotFormatException e = assertThrows(SnapshotFormatException.class, () -> restore(bytes));
        assertEquals("unknown snapshot format version 1 (this node reads version 2) (at snapshot offset 8)",
                e.getMessage());
    }

    /**
     * The point-in-time view: a writer streams a snapshot of 100,000 keys on another thread,
     * stopped halfway by the test, while the loop thread applies 20,000 more writes that touch
     * keys on both sides of the writer's position. The stream must equal the snapshot of a
     * store that stopped at the view's index, and no single write may carry the whole.
     */
    @Test
    void applyingContinuesWhileOneHundredThousandKeysAreStreamed() throws Exception {
        ConfigStore store = new ConfigStore(LIMITS, WaitListener.NONE);
        ConfigStore atViewIndex = new ConfigStore(LIMITS, WaitListener.NONE);
        ConfigStore atEnd = new ConfigStore(LIMITS, WaitListener.NONE);
        long index = 0;
        for (int i = 0; i < 100_000; i++) {
            byte[] command = put(new RequestId(1 + i % 100, 1 + i / 100), "ns" + i % 4, key(i), "value-" + i,
                    Precondition.NONE);
            index++;
            store.apply(index, command);
            atViewIndex.apply(index, command);
            atEnd.apply(index, command);
        }
        byte[] expected = snapshot(atViewIndex);

        GatedOutputStream out = new GatedOutputStream(expected.length / 2);
        SnapshotView view = store.openSnapshot();
        assertEquals(100_000, view.keyCount());
        List<Throwable> writerFailures = new ArrayList<>();
        Thread writer = new Thread(() -> {
            try {
                view.writeTo(out);
            } catch (Throwable e) {
                writerFailures.add(e);
            }
        }, "snapshot-writer");
        writer.start();
        out.awaitGate();
        Random random = new Random(SEED);
        for (int i = 0; i < 20_000; i++) {
            byte[] command = mutation(random, i);
            index++;
            store.apply(index, command);
            atEnd.apply(index, command);
        }
        out.openGate();
        writer.join();
        view.close();

        assertEquals(List.of(), writerFailures);
        assertArrayEquals(expected, out.bytes(), "the stream is the state at the view's index");
        assertTrue(out.largestWriteBytes() <= SnapshotFormat.BUFFER_BYTES,
                "streamed in buffers, largest write " + out.largestWriteBytes() + " of " + expected.length);
        assertEquals(100_000, restore(out.bytes()).keyCount());
        assertArrayEquals(snapshot(atEnd), snapshot(store), "after close, tombstones are gone and state is current");
        assertEquals(atEnd.list("ns3", "", null, 100), store.list("ns3", "", null, 100));
    }

    /** The same without a gate: writer and loop race freely, and the result must not depend on it. */
    @Test
    void aRacingWriterStillWritesTheStateAtItsIndex() throws Exception {
        ConfigStore store = new ConfigStore(LIMITS, WaitListener.NONE);
        ConfigStore atViewIndex = new ConfigStore(LIMITS, WaitListener.NONE);
        long index = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] command = put("ns" + i % 4, key(i), "v" + i);
            index++;
            store.apply(index, command);
            atViewIndex.apply(index, command);
        }
        SnapshotView view = store.openSnapshot();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<Throwable> writerFailures = new ArrayList<>();
        Thread writer = new Thread(() -> {
            try {
                view.writeTo(out);
            } catch (Throwable e) {
                writerFailures.add(e);
            }
        }, "snapshot-writer");
        writer.start();
        Random random = new Random(SEED + 1);
        for (int i = 0; i < 20_000; i++) {
            store.apply(++index, mutation(random, i));
        }
        writer.join();
        view.close();
        assertEquals(List.of(), writerFailures);
        assertArrayEquals(snapshot(atViewIndex), out.toByteArray());
    }

    @Test
    void aViewIsWrittenOnceAndClosedOnlyAfterwards() throws IOException {
        ConfigStore store = smallStore();
        SnapshotView view = store.openSnapshot();
        assertThrows(IllegalStateException.class, store::openSnapshot, "one view at a time");
        view.writeTo(new ByteArrayOutputStream());
        assertThrows(IllegalStateException.class, () -> view.writeTo(new ByteArrayOutputStream()));
        view.close();
        store.openSnapshot().close();
    }

    @Test
    void readsSkipKeysDeletedWhileAViewIsOpenAndCloseRemovesThem() throws IOException {
        ConfigStore store = new ConfigStore(LIMITS, WaitListener.NONE);
        store.apply(1, put("only", "k", "1"));
        store.apply(2, put("n", "a", "1"));
        store.apply(3, put("n", "b", "1"));
        byte[] expected = snapshot(store);
        SnapshotView view = store.openSnapshot();
        store.apply(4, delete("only", "k"));
        store.apply(5, put("only", "k", "2"));
        store.apply(6, delete("only", "k"));
        store.apply(7, delete("n", "a"));
        assertTrue(store.get("only", "k").isEmpty());
        assertEquals(List.of("b"), store.list("n", "", null, 10).items().stream().map(KeyMeta::key).toList());
        assertEquals(new ApplyResult.NotFound("n", "a"), store.apply(8, delete("n", "a")));
        assertEquals(1, store.keyCount());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        view.writeTo(out);
        view.close();
        assertArrayEquals(expected, out.toByteArray());
        assertEquals(new ApplyResult.Created(new KeyMeta("only", "k", 1, 8, 8, 1, false)),
                store.apply(9, put("only", "k", "3")));
        ConfigStore reference = new ConfigStore(LIMITS, WaitListener.NONE);
        reference.apply(1, put("n", "b", "1"));
        assertEquals(reference.list("n", "", null, 10).items().size(), store.list("n", "", null, 10).items().size());
    }

    /** Updates, deletes, re-creations and new keys in old and new namespaces, spread over all keys. */
    private static byte[] mutation(Random random, int i) {
        int k = random.nextInt(100_000);
        String namespace = "ns" + k % 4;
        return switch (random.nextInt(5)) {
            case 0, 1 -> put(new RequestId(1 + random.nextInt(200), 10_000 + i), namespace, key(k), "new-" + i,
                    Precondition.NONE);
            case 2 -> delete(namespace, key(k));
            case 3 -> put(namespace, key(k) + "-added", "added-" + i);
            default -> put("fresh" + random.nextInt(3), key(k), "fresh-" + i);
        };
    }

    private static String key(int i) {
        return String.format("key-%06d", i);
    }

    private static ConfigStore smallStore() {
        ConfigStore store = new ConfigStore(LIMITS, WaitListener.NONE);
        byte[] digest = new byte[32];
        digest[31] = 7;
        store.apply(1, put(new RequestId(5, 1), "a", "k1", "one", Precondition.NONE));
        store.apply(2, CommandCodec.encode(new Command.Put(new RequestId(6, 1), "a", "k2",
                new Value.BlobPointer(digest, 123, "text/plain"), Precondition.NONE)));
        store.apply(3, put("b", "k", "three"));
        store.apply(4, put(new RequestId(5, 2), "a", "k1", "x", Precondition.CREATE_ONLY));
        store.apply(5, CommandCodec.encode(new Command.Delete(new RequestId(7, 1), "b", "gone", Precondition.NONE)));
        store.apply(6, put("c", "k", "to delete"));
        store.apply(7, CommandCodec.encode(new Command.Delete(new RequestId(8, 1), "c", "k", Precondition.NONE)));
        return store;
    }

    private static List<byte[]> randomCommands(Random random, int count) {
        List<byte[]> commands = new ArrayList<>();
        long[] sequences = new long[20];
        for (int i = 0; i < count; i++) {
            int client = random.nextInt(sequences.length);
            long sequence = ++sequences[client];
            // Senders with many writes in flight: a session holds every result at or above the
            // highest firstOutstanding, so snapshots carry sessions of many results.
            RequestId id = client == 0 ? RequestId.NONE
                    : new RequestId(client, sequence, Math.max(1, sequence - random.nextInt(8)));
            String namespace = "ns" + random.nextInt(3);
            String key = "k" + random.nextInt(200);
            Precondition precondition = switch (random.nextInt(4)) {
                case 0 -> new Precondition.IfModRevision(1 + random.nextInt(Math.max(1, i)));
                case 1 -> Precondition.CREATE_ONLY;
                default -> Precondition.NONE;
            };
            if (random.nextInt(4) == 0) {
                Precondition forDelete = precondition instanceof Precondition.CreateOnly ? Precondition.NONE : precondition;
                commands.add(CommandCodec.encode(new Command.Delete(id, namespace, key, forDelete)));
            } else {
                byte[] value = new byte[random.nextInt(40)];
                random.nextBytes(value);
                commands.add(CommandCodec.encode(new Command.Put(id, namespace, key, Value.Inline.copyOf(value),
                        precondition)));
            }
        }
        return commands;
    }

    private static byte[] snapshot(ConfigStore store) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        store.writeSnapshot(out);
        return out.toByteArray();
    }

    private static ConfigStore restore(byte[] bytes) throws IOException {
        return ConfigStore.restore(new ByteArrayInputStream(bytes), LIMITS, WaitListener.NONE);
    }
}
