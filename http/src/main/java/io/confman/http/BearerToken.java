package io.confman.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The admin token check every admin surface shares (the node's admin calls, the dev
 * controller): an {@code Authorization: Bearer <token>} header against the configured token,
 * compared as SHA-256 digests in constant time, so that the time taken says nothing of how
 * much of the token matched. Each caller turns the outcome into its own answer.
 */
public final class BearerToken {

    /** What a header proves. */
    public enum Outcome {
        /** The header carries the configured token. */
        OK,
        /** No Authorization header: 401 with {@link #CHALLENGE}. */
        MISSING,
        /** Not {@code Bearer <token>}: 401 with {@link #CHALLENGE_INVALID}. */
        MALFORMED,
        /** No token is configured, so nothing is accepted: 403. */
        NONE_CONFIGURED,
        /** Another token: 403. */
        WRONG
    }

    public static final String CHALLENGE = "Bearer realm=\"confman\"";
    public static final String CHALLENGE_INVALID = "Bearer realm=\"confman\", error=\"invalid_request\"";
    private static final String BEARER = "Bearer ";

    /** SHA-256 of the configured token, or null when none is. */
    private final byte[] tokenDigest;

    /** {@code token} may be null: then every header is refused. */
    public BearerToken(String token) {
        this.tokenDigest = token == null ? null : sha256(token);
    }

    /** Checks an Authorization header, null when the request has none. */
    public Outcome check(String header) {
        if (header == null) {
            return Outcome.MISSING;
        }
        if (!header.regionMatches(true, 0, BEARER, 0, BEARER.length()) || header.substring(BEARER.length()).isBlank()) {
            return Outcome.MALFORMED;
        }
        if (tokenDigest == null) {
            return Outcome.NONE_CONFIGURED;
        }
        // Digests of equal length, compared in constant time.
        return MessageDigest.isEqual(sha256(header.substring(BEARER.length()).trim()), tokenDigest)
                ? Outcome.OK : Outcome.WRONG;
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
