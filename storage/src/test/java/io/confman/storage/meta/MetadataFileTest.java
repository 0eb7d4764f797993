package io.confman.storage.meta;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MetadataFileTest {
    @Test
    void storeThenLoadRoundTrips(@TempDir Path dir) throws IOException {
        assertEquals(Optional.empty(), MetadataFile.load(dir));
        Metadata metadata = new Metadata("cluster-ünïcode", "n1", 42, "n3");
        MetadataFile.store(dir, metadata);
        assertEquals(Optional.of(metadata), MetadataFile.load(dir));
        Metadata next = metadata.withTermAndVote(43, "");
        MetadataFile.store(dir, next);
        assertEquals(Optional.of(next), MetadataFile.load(dir));
        assertFalse(next.hasVoted());
        assertFalse(Files.exists(dir.resolve(MetadataFile.TEMP_FILE_NAME)));
    }

    /** The whole file, byte for byte, field by field as in FORMAT.md section 6. */
    @Test
    void layoutMatchesFormatDocument(@TempDir Path dir) throws IOException {
        MetadataFile.store(dir, new Metadata("c", "n1", 7, "n2"));
        byte[] bytes = Files.readAllBytes(dir.resolve(MetadataFile.FILE_NAME));
        String expected = ""
                + "434f4e464d455441"   // META_MAGIC "CONFMETA"
                + "01000000"           // META_FORMAT_VERSION 1
                + "29000000"           // fileLength 41
                + "0700000000000000"   // currentTerm 7
                + "0100"               // clusterIdLength 1
                + "0200"               // nodeIdLength 2
                + "0200"               // votedForLength 2
                + "0000"               // reserved
                + "63"                 // clusterId "c"
                + "6e31"               // nodeId "n1"
                + "6e32"               // votedFor "n2"
                + "e0e5f01f";          // metaCrc 0x1ff0e5e0, CRC32C of bytes 0..36
        assertEquals(expected, HexFormat.of().formatHex(bytes));
    }

    @Test
    void tornTempFileFromACrashIsIgnoredAndRemoved(@TempDir Path dir) throws IOException {
        Metadata metadata = new Metadata("cluster", "n1", 5, "n2");
        MetadataFile.store(dir, metadata);
        byte[] half = MetadataFile.encode(metadata.withTermAndVote(6, "n1")).array();
        Files.write(dir.resolve(MetadataFile.TEMP_FILE_NAME), java.util.Arrays.copyOf(half, half.length / 2));
        assertEquals(Optional.of(metadata), MetadataFile.load(dir));
        assertFalse(Files.exists(dir.resolve(MetadataFile.TEMP_FILE_NAME)));
    }

    @Test
    void tornTempFileWithoutAnyMetaMeansANewNode(@TempDir Path dir) throws IOException {
        Files.write(dir.resolve(MetadataFile.TEMP_FILE_NAME), new byte[] {'C', 'O', 'N'});
        assertEquals(Optional.empty(), MetadataFile.load(dir));
    }

    @Test
    void damagedMetaIsCorruptionNotDefaults(@TempDir Path dir) throws IOException {
        MetadataFile.store(dir, new Metadata("cluster", "n1", 5, "n2"));
        Path file = dir.resolve(MetadataFile.FILE_NAME);
        byte[] bytes = Files.readAllBytes(file);
        for (int offset = 0; offset < bytes.length; offset++) {
            byte[] damaged = bytes.clone();
            damaged[offset] ^= 0x04;
            Files.write(file, damaged);
            IOException thrown = assertThrows(IOException.class, () -> MetadataFile.load(dir), "offset " + offset);
            assertTrue(thrown.getMessage().contains("corrupt"), thrown.getMessage());
        }
        Files.write(file, java.util.Arrays.copyOf(bytes, 20));
        assertThrows(IOException.class, () -> MetadataFile.load(dir));
    }

    @Test
    void nodeRefusesAnotherClusterOrNodesDirectory(@TempDir Path dir) throws IOException {
        Metadata created = MetadataFile.openForNode(dir, "prod", "n1");
        assertEquals(Metadata.initial("prod", "n1"), created);
        MetadataFile.store(dir, created.withTermAndVote(3, "n2"));
        assertEquals(3, MetadataFile.openForNode(dir, "prod", "n1").currentTerm());
        MetadataMismatchException wrongCluster = assertThrows(MetadataMismatchException.class,
                () -> MetadataFile.openForNode(dir, "staging", "n1"));
        assertTrue(wrongCluster.getMessage().contains("prod"), wrongCluster.getMessage());
        assertThrows(MetadataMismatchException.class, () -> MetadataFile.openForNode(dir, "prod", "n2"));
    }

    @Test
    void invalidValuesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new Metadata("", "n1", 0, ""));
        assertThrows(IllegalArgumentException.class, () -> new Metadata("c", "", 0, ""));
        assertThrows(IllegalArgumentException.class, () -> new Metadata("c", "n1", -1, ""));
        assertThrows(IllegalArgumentException.class, () -> new Metadata("c", "n".repeat(256), 0, ""));
    }
}
