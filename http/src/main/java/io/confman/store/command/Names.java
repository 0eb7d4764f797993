package io.confman.store.command;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;

/**
 * The rules for namespace and key names. They are constants, not configuration, because
 * every replica must accept exactly the same commands: a limit that differed between
 * nodes would let replicas diverge.
 */
public final class Names {
    /** Longest namespace, in UTF-8 bytes. */
    public static final int NAMESPACE_BYTES_MAX = 128;
    /** Longest key, in UTF-8 bytes (etcd's default request limits allow far more; 1 KiB keeps listings small). */
    public static final int KEY_BYTES_MAX = 1024;
    /**
     * Largest value carried in the log itself. Larger values go to the blob store; the
     * node's {@code --inline-max-bytes} must not exceed this.
     */
    public static final int INLINE_VALUE_BYTES_MAX = 16 * 1024 * 1024;

    private Names() {
    }

    /** Throws {@link IllegalArgumentException} naming the rule {@code namespace} breaks. */
    public static void checkNamespace(String namespace) {
        checkName("namespace", namespace, NAMESPACE_BYTES_MAX);
        int slash = namespace.indexOf('/');
        if (slash >= 0) {
            throw new IllegalArgumentException("namespace must not contain '/', found at index " + slash);
        }
    }

    /** Throws {@link IllegalArgumentException} naming the rule {@code key} breaks. */
    public static void checkKey(String key) {
        checkName("key", key, KEY_BYTES_MAX);
    }

    private static void checkName(String what, String name, int bytesMax) {
        if (name == null) {
            throw new IllegalArgumentException(what + " is missing");
        }
        if (name.isEmpty()) {
            throw new IllegalArgumentException(what + " must not be empty");
        }
        int utf8Bytes = 0;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (Character.isISOControl(c)) {
                throw new IllegalArgumentException(what + " must not contain control characters, has U+"
                        + String.format("%04X", (int) c) + " at index " + i);
            }
            if (Character.isSurrogate(c) && !isPairedSurrogate(name, i)) {
                throw new IllegalArgumentException(what + " has an unpaired surrogate at index " + i);
            }
            utf8Bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isSurrogate(c) ? 2 : 3;
        }
        if (utf8Bytes > bytesMax) {
            throw new IllegalArgumentException(what + " is " + utf8Bytes + " UTF-8 bytes, at most " + bytesMax
                    + " allowed");
        }
    }

    /**
     * Decodes strict UTF-8: malformed input is an error, never replaced. ASCII, the common
     * case for names, skips the decoder.
     */
    public static String decodeUtf8(byte[] bytes) throws CharacterCodingException {
        for (byte b : bytes) {
            if (b < 0) {
                return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
            }
        }
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    private static boolean isPairedSurrogate(String name, int i) {
        char c = name.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < name.length() && Character.isLowSurrogate(name.charAt(i + 1));
        }
        return i > 0 && Character.isHighSurrogate(name.charAt(i - 1));
    }
}
