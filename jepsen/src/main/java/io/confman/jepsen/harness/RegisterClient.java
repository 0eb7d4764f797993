package io.confman.jepsen.harness;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Optional;

/**
 * Read, write and compare-and-set of one register (a key) through the client HTTP API of
 * one node, each call classified the way Knossos needs it (CONTRACT.md, "Client HTTP API"):
 * <ul>
 *   <li>{@code ok}: it took effect (a read returns what it read);</li>
 *   <li>{@code fail}: it certainly did not take effect: refused before it could commit (503
 *       no leader, 429 overloaded, 412 precondition failed, a connection never made), or a
 *       read that did not answer;</li>
 *   <li>{@code info}: a write whose outcome is unknown (504, a timeout, a connection lost
 *       after the request was sent, any other answer): it may take effect at any later
 *       time, so it must never be reported as a failure.</li>
 * </ul>
 * Compare-and-set is a linearizable read of the value and its revision, then a write with
 * {@code If-Match} on that revision: the write commits only if no other write came between,
 * and because every written value is unique per key, "the revision is unchanged" means "the
 * value is still the expected one". A cas that reads another value fails at the read.
 */
public final class RegisterClient {

    /** An operation's outcome: {@code type} is ok, fail or info; {@code value} what a read saw. */
    public record Outcome(String type, Long value, String error) {

        public Outcome {
            if (!type.equals("ok") && !type.equals("fail") && !type.equals("info")) {
                throw new IllegalArgumentException("an outcome is ok, fail or info, not " + type);
            }
        }

        /** The node did not accept the connection: it is down, and the call certainly did nothing. */
        public boolean unreachable() {
            return "connection-refused".equals(error) || "connect-timeout".equals(error);
        }

        static Outcome ok(Long value) {
            return new Outcome("ok", value, null);
        }

        static Outcome fail(String error) {
            return new Outcome("fail", null, error);
        }

        static Outcome info(String error) {
            return new Outcome("info", null, error);
        }
    }

    static final String NAMESPACE = "jepsen";

    private final URI base;
    private final HttpClient http;
    private final Duration timeout;

    public RegisterClient(URI base, Duration timeout) {
        this.base = base;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofMillis(Math.min(1_000, timeout.toMillis()))).build();
    }

    private URI uri(String key, String query) {
        return base.resolve("/v1/kv/" + NAMESPACE + "/" + key + (query == null ? "" : "?" + query));
    }

    /** A linearizable read ({@code stale} reads the node's local state instead, for self-tests). */
    public Outcome read(String key, boolean stale) {
        return readWithRevision(key, stale).outcome();
    }

    private record Read(Outcome outcome, String etag) {
    }

    private Read readWithRevision(String key, boolean stale) {
        HttpRequest request = HttpRequest.newBuilder(uri(key, stale ? "consistency=stale" : null)).timeout(timeout)
                .GET().build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return new Read(Outcome.fail(errorName(e)), null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Read(Outcome.fail("interrupted"), null);
        }
        int status = response.statusCode();
        if (status == 404) {
            return new Read(Outcome.ok(null), null);
        }
        if (status != 200) {
            return new Read(Outcome.fail("http-" + status), null);
        }
        try {
            return new Read(Outcome.ok(Long.parseLong(response.body().strip())),
                    response.headers().firstValue("ETag").orElse(null));
        } catch (NumberFormatException e) {
            return new Read(Outcome.fail("unparsable-value"), null);
        }
    }

    public Outcome write(String key, long value) {
        return put(key, value, Optional.empty());
    }

    public Outcome cas(String key, long expected, long replacement) {
        Read read = readWithRevision(key, false);
        if (!read.outcome().type().equals("ok")) {
            return read.outcome(); // A failed read wrote nothing.
        }
        if (read.outcome().value() == null || read.outcome().value() != expected) {
            return Outcome.fail("value-differs");
        }
        if (read.etag() == null) {
            return Outcome.fail("no-etag");
        }
        return put(key, replacement, Optional.of(read.etag()));
    }

    private Outcome put(String key, long value, Optional<String> ifMatch) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(key, null)).timeout(timeout)
                .PUT(HttpRequest.BodyPublishers.ofString(Long.toString(value)));
        ifMatch.ifPresent(etag -> request.header("If-Match", etag));
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (HttpConnectTimeoutException | ConnectException e) {
            return Outcome.fail(errorName(e)); // Never connected: nothing was sent.
        } catch (HttpTimeoutException e) {
            return Outcome.info("timeout");
        } catch (IOException e) {
            return Outcome.info(errorName(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Outcome.info("interrupted");
        }
        int status = response.statusCode();
        return switch (status) {
            case 200, 201 -> Outcome.ok(null);
            case 412 -> Outcome.fail("precondition-failed");
            case 503 -> Outcome.fail("unavailable");
            case 429 -> Outcome.fail("overloaded");
            case 504 -> Outcome.info("timeout-504");
            default -> Outcome.info("http-" + status);
        };
    }

    private static String errorName(Exception e) {
        if (e instanceof HttpConnectTimeoutException) {
            return "connect-timeout";
        }
        if (e instanceof HttpTimeoutException) {
            return "timeout";
        }
        if (e instanceof ConnectException) {
            return "connection-refused";
        }
        return "io-" + e.getClass().getSimpleName();
    }
}
