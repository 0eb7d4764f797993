package io.confman.bench.load;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * The bytes of one value, a function of a seed alone. They come in blocks of
 * {@link #BLOCK_BYTES}, each drawn from its own generator, so any block can be produced on
 * its own and a value of any size streams in constant memory: a 100 MiB value is never
 * held whole, neither here nor by the HTTP client (a value over the node's inline maximum
 * takes the blob path on the node).
 */
record GeneratedValue(long seed, long sizeBytes) {

    static final int BLOCK_BYTES = 64 * 1024;
    /** The largest value {@link #bytes()} holds whole. */
    static final int HELD_BYTES_MAX = 1024 * 1024;

    GeneratedValue {
        if (sizeBytes < 0) {
            throw new IllegalArgumentException("a value size must not be negative, not " + sizeBytes);
        }
    }

    /**
     * A request body of exactly {@link #sizeBytes()} bytes, sent with its Content-Length (so
     * the node can refuse an oversized value before any of it is sent); over one block it is
     * written block by block as it is generated.
     */
    HttpConnection.Body body() {
        if (sizeBytes <= BLOCK_BYTES) {
            return HttpConnection.Body.of(bytes());
        }
        return new HttpConnection.Body() {
            @Override
            public long length() {
                return sizeBytes;
            }

            @Override
            public void writeTo(OutputStream out) throws IOException {
                stream().transferTo(out);
            }
        };
    }

    /**
     * The whole value, for sizes up to {@link #HELD_BYTES_MAX}: small values, the etcd API
     * (whose JSON needs the value in base64, and which takes at most about 1 MiB), tests.
     */
    byte[] bytes() {
        if (sizeBytes > HELD_BYTES_MAX) {
            throw new IllegalStateException("a value of " + sizeBytes + " bytes is streamed, not held");
        }
        byte[] bytes = new byte[(int) sizeBytes];
        for (int block = 0; (long) block * BLOCK_BYTES < sizeBytes; block++) {
            int offset = block * BLOCK_BYTES;
            fill(block, bytes, offset, Math.min(BLOCK_BYTES, bytes.length - offset));
        }
        return bytes;
    }

    /** A fresh stream of the value's bytes. */
    InputStream stream() {
        return new Stream();
    }

    /** Fills {@code target[offset, offset + length)} with block {@code block}'s first bytes. */
    private void fill(long block, byte[] target, int offset, int length) {
        SplittableRandom random = new SplittableRandom(Mix.hash(seed, block));
        int filled = 0;
        while (filled < length) {
            long word = random.nextLong();
            for (int i = 0; i < Long.BYTES && filled < length; i++, word >>>= 8) {
                target[offset + filled++] = (byte) word;
            }
        }
    }

    /** Produces one block at a time; the block in hand is the only memory it holds. */
    private final class Stream extends InputStream {
        private final byte[] block = new byte[BLOCK_BYTES];
        private long position;
        private long blockIndex = -1;

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] target, int offset, int length) {
            Objects.checkFromIndexSize(offset, length, target.length);
            if (position >= sizeBytes) {
                return -1;
            }
            if (length == 0) {
                return 0;
            }
            long index = position / BLOCK_BYTES;
            int blockLength = (int) Math.min(BLOCK_BYTES, sizeBytes - index * BLOCK_BYTES);
            if (index != blockIndex) {
                fill(index, block, 0, blockLength);
                blockIndex = index;
            }
            int within = (int) (position - index * BLOCK_BYTES);
            int count = Math.min(length, blockLength - within);
            System.arraycopy(block, within, target, offset, count);
            position += count;
            return count;
        }

        @Override
        public int available() {
            return (int) Math.min(Integer.MAX_VALUE, sizeBytes - position);
        }
    }
}
