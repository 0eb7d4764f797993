package io.confman.http;

import io.confman.store.StoreLimits;
import io.confman.store.command.Names;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * The client HTTP listener's settings, validated once at start (STYLE 5).
 *
 * @param bind              the {@code --http} address
 * @param adminToken        the bearer token of the admin calls; null refuses every admin call (401)
 * @param requestTimeoutMs  a request not answered by then gets 504 (writes: outcome unknown)
 * @param inlineMaxBytes    {@code --inline-max-bytes}: larger values belong to the blob store
 * @param valueBytesMax     the largest value or blob accepted (413 above it); by default the
 *                          node's own bound, so that the front refuses at once, from
 *                          Content-Length, what the node would refuse after the upload
 * @param headerBytesMax    the largest request line plus headers (431 above it)
 * @param connectionsMax    concurrent client connections; more are closed at accept
 * @param idleTimeoutMs     a connection that sends nothing for this long is closed (slow clients)
 * @param waitMaxMs         the longest {@code ?wait=} a blocking read may ask for
 */
public record HttpConfig(
        InetSocketAddress bind,
        String adminToken,
        long requestTimeoutMs,
        int inlineMaxBytes,
        long valueBytesMax,
        int headerBytesMax,
        int connectionsMax,
        long idleTimeoutMs,
        long waitMaxMs) {

    public static final int INLINE_MAX_BYTES_DEFAULT = 64 * 1024;
    public static final long VALUE_BYTES_MAX_DEFAULT = StoreLimits.DEFAULTS.valueBytesMax();
    public static final int HEADER_BYTES_MAX_DEFAULT = 16 * 1024;
    public static final int CONNECTIONS_MAX_DEFAULT = 1024;
    public static final long IDLE_TIMEOUT_MS_DEFAULT = 60_000;
    public static final long WAIT_MAX_MS_DEFAULT = 10 * 60_000;

    public HttpConfig {
        Objects.requireNonNull(bind, "bind");
        positive("requestTimeoutMs", requestTimeoutMs);
        positive("inlineMaxBytes", inlineMaxBytes);
        positive("valueBytesMax", valueBytesMax);
        positive("headerBytesMax", headerBytesMax);
        positive("connectionsMax", connectionsMax);
        positive("idleTimeoutMs", idleTimeoutMs);
        positive("waitMaxMs", waitMaxMs);
        if (inlineMaxBytes > Names.INLINE_VALUE_BYTES_MAX) {
            throw new IllegalArgumentException("rule 'inlineMaxBytes <= " + Names.INLINE_VALUE_BYTES_MAX
                    + " (the command format's inline value cap)' violated: " + inlineMaxBytes);
        }
        if (adminToken != null && adminToken.length() < 16) {
            throw new IllegalArgumentException("rule 'admin token is at least 16 characters' violated: "
                    + adminToken.length());
        }
    }

    /** The defaults for everything but the address, the token and the request timeout. */
    public static HttpConfig of(InetSocketAddress bind, String adminToken, long requestTimeoutMs) {
        return new HttpConfig(bind, adminToken, requestTimeoutMs, INLINE_MAX_BYTES_DEFAULT, VALUE_BYTES_MAX_DEFAULT,
                HEADER_BYTES_MAX_DEFAULT, CONNECTIONS_MAX_DEFAULT, IDLE_TIMEOUT_MS_DEFAULT, WAIT_MAX_MS_DEFAULT);
    }

    private static void positive(String name, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException("rule '" + name + " > 0' violated: " + value);
        }
    }

    /** Never prints the token. */
    @Override
    public String toString() {
        return "HttpConfig[bind=" + bind + ", adminToken=" + (adminToken == null ? "none" : "set")
                + ", requestTimeoutMs=" + requestTimeoutMs + ", inlineMaxBytes=" + inlineMaxBytes
                + ", valueBytesMax=" + valueBytesMax + ", headerBytesMax=" + headerBytesMax + ", connectionsMax="
                + connectionsMax + ", idleTimeoutMs=" + idleTimeoutMs + ", waitMaxMs=" + waitMaxMs + "]";
    }
}
