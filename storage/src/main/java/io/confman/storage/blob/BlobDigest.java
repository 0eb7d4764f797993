package io.confman.storage.blob;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A blob's name: the SHA-256 of its bytes. Written {@code sha256:<64 lowercase hex>} in URLs
 * and ETags; the blob's file is named by the hex.
 */
public final class BlobDigest implements Comparable<BlobDigest> {

    public static final int BYTES = 32;
    public static final String PREFIX = "sha256:";

    private final byte[] sha256;

    private BlobDigest(byte[] sha256) {
        this.sha256 = sha256;
    }

    /** A copy of {@code sha256}, which must be 32 bytes. */
    public static BlobDigest of(byte[] sha256) {
        Objects.requireNonNull(sha256, "sha256");
        if (sha256.length != BYTES) {
            throw new IllegalArgumentException("a SHA-256 digest is " + BYTES + " bytes, was " + sha256.length);
        }
        return new BlobDigest(sha256.clone());
    }

    /** Parses {@code sha256:<64 hex>}; throws {@link IllegalArgumentException} naming what is wrong. */
    public static BlobDigest parse(String name) {
        if (name == null || !name.startsWith(PREFIX)) {
            throw new IllegalArgumentException("a blob name is 'sha256:' and 64 hex digits, was '" + name + "'");
        }
        return ofHex(name.substring(PREFIX.length()));
    }

    /** Parses 64 hex digits (either case). */
    public static BlobDigest ofHex(String hex) {
        if (hex.length() != BYTES * 2 || !hex.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            throw new IllegalArgumentException("a SHA-256 digest is 64 hex digits, was '" + hex + "'");
        }
        return new BlobDigest(HexFormat.of().parseHex(hex));
    }

    public byte[] bytes() {
        return sha256.clone();
    }

    /** A read-only view of the 32 bytes, without a copy (for encoders). */
    public ByteBuffer buffer() {
        return ByteBuffer.wrap(sha256).asReadOnlyBuffer();
    }

    public String hex() {
        return HexFormat.of().formatHex(sha256);
    }

    /** {@code sha256:<hex>}. */
    public String name() {
        return PREFIX + hex();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof BlobDigest that && Arrays.equals(sha256, that.sha256);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(sha256);
    }

    @Override
    public int compareTo(BlobDigest other) {
        return Arrays.compareUnsigned(sha256, other.sha256);
    }

    @Override
    public String toString() {
        return name();
    }
}
