package io.confman.http;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Percent-decoding of one path segment (RFC 3986 section 2.1). Strict: a bad escape or bytes
 * that are not UTF-8 are a 400, never a silently replaced character, because the name must
 * be exactly what the client meant. Unlike form decoding, '+' stays '+'.
 */
final class PathCodec {

    private PathCodec() {
    }

    static String decode(String raw) {
        if (raw.indexOf('%') < 0 && raw.chars().allMatch(c -> c <= 0x7E)) {
            return raw;
        }
        ByteBuffer bytes = ByteBuffer.allocate(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c > 0x7E) {
                // The request line is read as ISO-8859-1, so raw UTF-8 would arrive as other
                // characters: refuse it rather than store a name the client did not mean.
                throw ApiError.badRequest("a raw non-ASCII character at index " + i + " of the path; percent-encode it");
            }
            if (c != '%') {
                bytes.put((byte) c);
                continue;
            }
            if (i + 2 >= raw.length()) {
                throw ApiError.badRequest("truncated percent escape at index " + i + " of the path");
            }
            int high = Character.digit(raw.charAt(i + 1), 16);
            int low = Character.digit(raw.charAt(i + 2), 16);
            if (high < 0 || low < 0) {
                throw ApiError.badRequest("bad percent escape at index " + i + " of the path");
            }
            bytes.put((byte) (high << 4 | low));
            i += 2;
        }
        bytes.flip();
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes).toString();
        } catch (CharacterCodingException e) {
            throw ApiError.badRequest("the path is not UTF-8 once percent-decoded");
        }
    }
}
