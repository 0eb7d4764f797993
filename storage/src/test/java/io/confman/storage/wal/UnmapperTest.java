package io.confman.storage.wal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Recovery's mappings are released as soon as a segment is scanned, on the JDK we run on. */
class UnmapperTest {
    @Test
    void theRuntimeLetsMappingsBeReleasedAtOnce(@TempDir Path dir) throws IOException {
        assertTrue(Unmapper.available(), "Unsafe.invokeCleaner is missing: mappings would wait for the GC");
        Path file = Files.write(dir.resolve("mapped"), new byte[] {7, 8, 9});
        MappedByteBuffer mapped;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, 3);
        }
        assertEquals(8, mapped.get(1));
        Unmapper.unmap(mapped);
        Files.delete(file);
    }
}
