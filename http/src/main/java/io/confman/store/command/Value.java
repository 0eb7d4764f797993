package io.confman.store.command;

import io.confman.storage.blob.BlobDigest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * A stored value: either its bytes, carried in the log, or a pointer to a blob that the
 * blob store holds (values over {@code --inline-max-bytes}). Both are immutable.
 */
public sealed interface Value {

    /** The size of the value the client stored, in bytes. */
    long sizeBytes();

    boolean isBlob();

    /** A value whose bytes live in the log and in the store. */
    final class Inline implements Value {
        private final byte[] bytes;

        private Inline(byte[] bytes) {
            this.bytes = bytes;
        }

        /** Copies {@code bytes}, so that the caller may reuse its array. */
        public static Inline copyOf(byte[] bytes) {
            return new Inline(bytes.clone());
        }

        /** Takes ownership of {@code bytes}; only the decoder, which allocated them, calls this. */
        static Inline owning(byte[] bytes) {
            return new Inline(Objects.requireNonNull(bytes, "bytes"));
        }

        @Override
        public long sizeBytes() {
            return bytes.length;
        }

        @Override
        public boolean isBlob() {
            return false;
        }

        /** A read-only view of the bytes: the store never copies a value to serve it. */
        public ByteBuffer bytes() {
            return ByteBuffer.wrap(bytes).asReadOnlyBuffer();
        }

        public byte[] copyBytes() {
            return bytes.clone();
        }

        /** Writes the bytes to {@code out} without copying them first. */
        public void writeTo(java.io.OutputStream out) throws java.io.IOException {
            out.write(bytes);
        }

        /** The bytes themselves, for the command codec, which only reads them. */
        byte[] array() {
            return bytes;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Inline that && Arrays.equals(bytes, that.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return "Inline[" + bytes.length + "B]";
        }
    }

    /**
     * Where a large value lives: its SHA-256 digest (the blob's name), its size and the
     * content type the client gave.
     */
    final class BlobPointer implements Value {
        public static final int DIGEST_BYTES = 32;
        /** The content type is short ASCII text; the format gives it a one-byte length. */
        public static final int CONTENT_TYPE_BYTES_MAX = 255;

        private final BlobDigest digest;
        private final long sizeBytes;
        private final String contentType;

        public BlobPointer(byte[] sha256, long sizeBytes, String contentType) {
            Objects.requireNonNull(sha256, "sha256");
            Objects.requireNonNull(contentType, "contentType");
            if (sha256.length != DIGEST_BYTES) {
                throw new IllegalArgumentException("a sha256 digest has 32 bytes, this one has " + sha256.length);
            }
            if (sizeBytes < 0) {
                throw new IllegalArgumentException("a blob's size must be >= 0, was " + sizeBytes);
            }
            checkContentType(contentType);
            this.digest = BlobDigest.of(sha256);
            this.sizeBytes = sizeBytes;
            this.contentType = contentType;
        }

        private static void checkContentType(String contentType) {
            if (contentType.length() > CONTENT_TYPE_BYTES_MAX) {
                throw new IllegalArgumentException("content type longer than " + CONTENT_TYPE_BYTES_MAX
                        + " bytes: " + contentType.length());
            }
            for (int i = 0; i < contentType.length(); i++) {
                char c = contentType.charAt(i);
                if (c < 0x20 || c > 0x7E) {
                    throw new IllegalArgumentException("content type must be printable ASCII, has char "
                            + (int) c + " at index " + i);
                }
            }
        }

        public byte[] sha256() {
            return digest.bytes();
        }

        /** The blob's name in the blob store: its digest. */
        public BlobDigest digest() {
            return digest;
        }

        /** The blob's name in URLs: {@code sha256:<hex>}. */
        public String digestName() {
            return digest.name();
        }

        @Override
        public long sizeBytes() {
            return sizeBytes;
        }

        @Override
        public boolean isBlob() {
            return true;
        }

        public String contentType() {
            return contentType;
        }


        byte[] contentTypeBytes() {
            return contentType.getBytes(StandardCharsets.US_ASCII);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof BlobPointer that && digest.equals(that.digest)
                    && sizeBytes == that.sizeBytes && contentType.equals(that.contentType);
        }

        @Override
        public int hashCode() {
            return digest.hashCode() * 31 + Long.hashCode(sizeBytes);
        }

        @Override
        public String toString() {
            return "BlobPointer[" + digestName() + ", " + sizeBytes + "B, " + contentType + "]";
        }
    }
}
