package io.confman.bench.load;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class GeneratedValueTest {

    @Test
    void theBytesFollowFromTheSeedAlone() {
        assertArrayEquals(new GeneratedValue(7, 1_000).bytes(), new GeneratedValue(7, 1_000).bytes());
        assertFalse(Arrays.equals(new GeneratedValue(7, 1_000).bytes(), new GeneratedValue(8, 1_000).bytes()));
        assertArrayEquals(Arrays.copyOf(new GeneratedValue(7, 1_000).bytes(), 10), new GeneratedValue(7, 10).bytes(),
                "a shorter value is a prefix of a longer one with the same seed");
        assertEquals(0, new GeneratedValue(7, 0).bytes().length);
    }

    @Test
    void theStreamIsTheSameWhateverTheReadSizes() throws IOException {
        long size = 3L * GeneratedValue.BLOCK_BYTES + 12_345;
        byte[] whole = readAll(new GeneratedValue(11, size).stream(), 1 << 20);
        assertEquals(size, whole.length);
        assertArrayEquals(whole, readAll(new GeneratedValue(11, size).stream(), 7_001));
        assertArrayEquals(Arrays.copyOf(whole, GeneratedValue.BLOCK_BYTES),
                new GeneratedValue(11, GeneratedValue.BLOCK_BYTES).bytes(), "the first block, held or streamed");
        InputStream single = new GeneratedValue(11, 3).stream();
        assertEquals(whole[0] & 0xff, single.read());
        assertEquals(whole[1] & 0xff, single.read());
        assertEquals(whole[2] & 0xff, single.read());
        assertEquals(-1, single.read());
    }

    @Test
    void aLargeValueIsStreamedWithItsLength() {
        long size = 100L * 1024 * 1024;
        GeneratedValue large = new GeneratedValue(1, size);
        assertEquals(size, large.body().length());
        assertThrows(IllegalStateException.class, large::bytes);
        assertEquals(100, new GeneratedValue(1, 100).body().length());
    }

    private static byte[] readAll(InputStream in, int chunk) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[chunk];
        int read;
        while ((read = in.read(buffer, 0, buffer.length)) >= 0) {
            out.write(buffer, 0, read);
        }
        return out.toByteArray();
    }
}
