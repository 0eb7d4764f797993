package io.confman.storage.meta;

import io.confman.storage.wal.StorageIo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * The metadata file {@code meta} of FORMAT.md section 6: written whole to a temporary file,
 * fsynced, renamed over the old one and the directory fsynced, so that a crash leaves the
 * old or the new content and never a mix.
 */
public final class MetadataFile {
    public static final String FILE_NAME = "meta";
    public static final String TEMP_FILE_NAME = "meta.tmp";
    /** The ASCII bytes {@code CONFMETA}, read as a little-endian u64. */
    public static final long META_MAGIC = ByteBuffer.wrap("CONFMETA".getBytes(StandardCharsets.US_ASCII))
            .order(ByteOrder.LITTLE_ENDIAN).getLong();
    public static final int META_FORMAT_VERSION = 1;
    static final int FIXED_BYTES = 32;
    static final int CRC_BYTES = 4;
    static final int FILE_BYTES_MAX = FIXED_BYTES + Metadata.CLUSTER_ID_BYTES_MAX + 2 * Metadata.NODE_ID_BYTES_MAX
            + CRC_BYTES;

    private MetadataFile() {
    }

    /**
     * Loads {@code dir/meta}; empty when the node has never stored one. A leftover
     * {@code meta.tmp} is the remains of a crash before its rename and is deleted unread.
     *
     * @throws IOException when {@code meta} exists but fails any check: it is only ever
     *     replaced by rename, so damage there is corruption, not a torn write
     */
    public static Optional<Metadata> load(Path dir) throws IOException {
        Path temp = dir.resolve(TEMP_FILE_NAME);
        if (Files.deleteIfExists(temp)) {
            fsyncDirectory(dir);
        }
        Path file = dir.resolve(FILE_NAME);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        long size = Files.size(file);
        if (size > FILE_BYTES_MAX) {
            throw new IOException(file + " is corrupt: " + size + " bytes, at most " + FILE_BYTES_MAX + " expected");
        }
        try {
            return Optional.of(decode(ByteBuffer.wrap(Files.readAllBytes(file))));
        } catch (IllegalArgumentException invalid) {
            throw new IOException(file + " is corrupt: " + invalid.getMessage(), invalid);
        }
    }

    /** Replaces {@code dir/meta} atomically and durably with {@code metadata}. */
    public static void store(Path dir, Metadata metadata) throws IOException {
        Path temp = dir.resolve(TEMP_FILE_NAME);
        ByteBuffer bytes = encode(metadata);
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
            channel.force(true);
        }
        Files.move(temp, dir.resolve(FILE_NAME), StandardCopyOption.ATOMIC_MOVE);
        fsyncDirectory(dir);
    }

    /**
     * What a node calls at start: loads the metadata, or stores an initial one for a new
     * node, and refuses a directory that belongs to another cluster or node.
     *
     * @throws MetadataMismatchException when the stored cluster or node id differs
     */
    public static Metadata openForNode(Path dir, String clusterId, String nodeId) throws IOException {
        // The directory's own entry must be durable too, or a crash could take it away.
        StorageIo.fileSystem().createDirectoriesDurably(dir);
        Optional<Metadata> stored = load(dir);
        if (stored.isEmpty()) {
            Metadata initial = Metadata.initial(clusterId, nodeId);
            store(dir, initial);
            return initial;
        }
        Metadata metadata = stored.get();
        if (!metadata.clusterId().equals(clusterId)) {
            throw new MetadataMismatchException(dir + " belongs to cluster '" + metadata.clusterId()
                    + "', not '" + clusterId + "'");
        }
        if (!metadata.nodeId().equals(nodeId)) {
            throw new MetadataMismatchException(dir + " belongs to node '" + metadata.nodeId()
                    + "', not '" + nodeId + "'");
        }
        return metadata;
    }

    static ByteBuffer encode(Metadata metadata) {
        byte[] clusterId = metadata.clusterId().getBytes(StandardCharsets.UTF_8);
        byte[] nodeId = metadata.nodeId().getBytes(StandardCharsets.UTF_8);
        byte[] votedFor = metadata.votedFor().getBytes(StandardCharsets.UTF_8);
        int fileLength = FIXED_BYTES + clusterId.length + nodeId.length + votedFor.length + CRC_BYTES;
        ByteBuffer out = ByteBuffer.allocate(fileLength).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(META_MAGIC).putInt(META_FORMAT_VERSION).putInt(fileLength).putLong(metadata.currentTerm());
        out.putShort((short) clusterId.length).putShort((short) nodeId.length).putShort((short) votedFor.length);
        out.putShort((short) 0);
        out.put(clusterId).put(nodeId).put(votedFor);
        out.putInt(crc(out, fileLength - CRC_BYTES));
        return out.flip();
    }

    static Metadata decode(ByteBuffer bytes) {
        ByteBuffer in = bytes.order(ByteOrder.LITTLE_ENDIAN);
        check(in.limit() >= FIXED_BYTES + CRC_BYTES, "shorter than its fixed part");
        check(in.getLong(0) == META_MAGIC, "bad magic");
        check(in.getInt(8) == META_FORMAT_VERSION, "unsupported version " + Integer.toUnsignedString(in.getInt(8)));
        check(in.getInt(12) == in.limit(), "fileLength " + in.getInt(12) + " but the file has " + in.limit() + " bytes");
        check(in.getInt(in.limit() - CRC_BYTES) == crc(in, in.limit() - CRC_BYTES), "CRC mismatch");
        int clusterIdLength = Short.toUnsignedInt(in.getShort(24));
        int nodeIdLength = Short.toUnsignedInt(in.getShort(26));
        int votedForLength = Short.toUnsignedInt(in.getShort(28));
        check(in.getShort(30) == 0, "non-zero reserved bytes");
        check(FIXED_BYTES + clusterIdLength + nodeIdLength + votedForLength + CRC_BYTES == in.limit(),
                "string lengths do not add up to fileLength");
        String clusterId = utf8(in, FIXED_BYTES, clusterIdLength);
        String nodeId = utf8(in, FIXED_BYTES + clusterIdLength, nodeIdLength);
        String votedFor = utf8(in, FIXED_BYTES + clusterIdLength + nodeIdLength, votedForLength);
        return new Metadata(clusterId, nodeId, in.getLong(16), votedFor);
    }

    private static String utf8(ByteBuffer in, int offset, int length) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(in.duplicate().position(offset).limit(offset + length)).toString();
        } catch (CharacterCodingException invalid) {
            throw new IllegalArgumentException("invalid UTF-8 at offset " + offset, invalid);
        }
    }

    private static int crc(ByteBuffer in, int length) {
        CRC32C crc = new CRC32C();
        crc.update(in.duplicate().position(0).limit(length));
        return (int) crc.getValue();
    }

    private static void check(boolean condition, String reason) {
        if (!condition) {
            throw new IllegalArgumentException(reason);
        }
    }

    private static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
