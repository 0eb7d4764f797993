package io.confman.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code confman migrate --url U[,U...] --admin-token-file F --min-size BYTES}: runs the
 * inline-to-blob migration to the end (the runbook in papers/). It starts the run on the
 * first node that answers, prints a progress line per poll, and when that node goes away or
 * its run fails, starts it again on the next node that answers: the migration is
 * idempotent, so a new run moves only what is still inline. The last line is the final
 * status JSON; exit 0 when a run finished, 1 when none could within {@code --timeout}.
 */
final class MigrateCommand {

    static final long POLL_MS_DEFAULT = 1_000;
    static final long TIMEOUT_S_DEFAULT = 3_600;
    static final int RUNS_MAX = 20;
    /** Progress calls that may fail in a row before the run's node counts as gone. */
    static final int POLL_FAILURES_MAX = 3;
    /** A day: a longer timeout is a typo. */
    static final long TIMEOUT_S_MAX = 86_400;

    /** A node refused the call itself (a wrong token, a bad request): trying elsewhere cannot help. */
    private static final class Refused extends Exception {
        Refused(String message) {
            super(message);
        }
    }

    private MigrateCommand() {
    }

    static int run(String[] args, String urlFromEnvironment, PrintStream out, PrintStream err) {
        List<URI> urls;
        String token;
        long minSize;
        long pollMs;
        long timeoutMs;
        try {
            Flags flags = Flags.parse("confman migrate", args, Set.of("url", "admin-token-file", "min-size",
                    "poll-ms", "timeout-s"), Set.of());
            if (!flags.positionals().isEmpty()) {
                throw new UsageException("confman migrate: unexpected argument '" + flags.positionals().get(0) + "'");
            }
            urls = ClientCommand.parseUrls(flags.has("url") ? flags.get("url")
                    : urlFromEnvironment != null && !urlFromEnvironment.isBlank() ? urlFromEnvironment
                    : ClientCommand.URL_DEFAULT);
            if (!flags.has("admin-token-file") || !flags.has("min-size")) {
                throw new UsageException("confman migrate: --admin-token-file F and --min-size BYTES are required");
            }
            token = readToken(Path.of(flags.get("admin-token-file")));
            minSize = positive("--min-size", flags.get("min-size"));
            pollMs = flags.has("poll-ms") ? positive("--poll-ms", flags.get("poll-ms")) : POLL_MS_DEFAULT;
            long timeoutS = flags.has("timeout-s") ? positive("--timeout-s", flags.get("timeout-s")) : TIMEOUT_S_DEFAULT;
            if (timeoutS > TIMEOUT_S_MAX) {
                throw new UsageException("confman migrate: --timeout-s must be at most " + TIMEOUT_S_MAX + ", was "
                        + timeoutS);
            }
            timeoutMs = 1_000 * timeoutS;
        } catch (UsageException e) {
            err.println(e.getMessage());
            return Main.EXIT_USAGE;
        }
        HttpClient client = HttpClient.newBuilder()
                .connectTimeout(Duration.ofMillis(ClientCommand.CONNECT_TIMEOUT_MS)).build();
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        int next = 0;
        int runs = 0;
        String last = null;
        while (System.nanoTime() - deadline < 0 && runs < RUNS_MAX) {
            URI url = urls.get(next++ % urls.size());
            try {
                String started = send(client, HttpRequest.newBuilder(url.resolve(
                        "/v1/admin/migrations/inline-to-blob?min_size=" + minSize)).POST(HttpRequest.BodyPublishers
                        .noBody()), token, 202);
                runs++;
                err.println("confman migrate: run " + runs + " on " + url + ": " + started);
                int pollFailures = 0;
                while (true) {
                    Thread.sleep(pollMs);
                    try {
                        last = send(client, HttpRequest.newBuilder(url.resolve("/v1/admin/migrations/inline-to-blob"))
                                .GET(), token, 200);
                        pollFailures = 0;
                    } catch (IOException e) {
                        // One lost answer does not mean the node went: its run may still go on.
                        if (++pollFailures < POLL_FAILURES_MAX) {
                            err.println("confman migrate: " + url + ": " + UsageException.oneLine(
                                    String.valueOf(e.getMessage())) + "; asking again");
                            continue;
                        }
                        throw e;
                    }
                    Map<String, String> status = fields(last);
                    err.println("confman migrate: " + status.get("state") + " scanned=" + status.get("keys_scanned")
                            + " migrated=" + status.get("migrated") + " changed=" + status.get("changed")
                            + " bytes=" + status.get("bytes_moved") + " at=" + status.get("position"));
                    if ("done".equals(status.get("state"))) {
                        out.println(last);
                        return Main.EXIT_OK;
                    }
                    if (!"running".equals(status.get("state")) || System.nanoTime() - deadline >= 0) {
                        break; // Failed (or the node restarted): run again, resuming where inline values remain.
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Main.EXIT_FAILURE;
            } catch (Refused e) {
                err.println("confman migrate: " + url + " refused: " + UsageException.oneLine(e.getMessage()));
                return Main.EXIT_FAILURE;
            } catch (IOException e) {
                err.println("confman migrate: " + url + ": " + UsageException.oneLine(String.valueOf(e.getMessage())));
                sleepQuietly(pollMs);
            }
        }
        if (last != null) {
            out.println(last);
        }
        err.println("confman migrate: no run finished after " + runs + " runs");
        return Main.EXIT_FAILURE;
    }

    private static String send(HttpClient client, HttpRequest.Builder request, String token, int expected)
            throws IOException, InterruptedException, Refused {
        HttpResponse<String> response = client.send(request.header("Authorization", "Bearer " + token)
                        .timeout(Duration.ofMillis(ClientCommand.REQUEST_TIMEOUT_MS)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (response.statusCode() >= 400 && response.statusCode() < 500 && response.statusCode() != 429) {
            throw new Refused("HTTP " + response.statusCode() + ": " + response.body());
        }
        if (response.statusCode() != expected) {
            throw new IOException("HTTP " + response.statusCode() + ": " + response.body());
        }
        return response.body();
    }

    /** The top-level scalar fields of a JSON object, as text. */
    static Map<String, String> fields(String json) throws IOException {
        Map<String, String> fields = new HashMap<>();
        try (JsonParser parser = new JsonFactory().createParser(json)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("not a JSON object: " + json);
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                if (value.isStructStart()) {
                    parser.skipChildren();
                } else {
                    fields.put(name, value == JsonToken.VALUE_NULL ? null : parser.getText());
                }
            }
        }
        return fields;
    }

    private static String readToken(Path file) throws UsageException {
        try {
            String token = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (token.isEmpty()) {
                throw new UsageException("confman migrate: the admin token file " + file + " is empty");
            }
            return token;
        } catch (IOException e) {
            throw new UsageException("confman migrate: cannot read the admin token file " + file + ": " + e);
        }
    }

    private static long positive(String flag, String text) throws UsageException {
        try {
            long value = Long.parseLong(text);
            if (value >= 1) {
                return value;
            }
        } catch (NumberFormatException e) {
            // Reported below.
        }
        throw new UsageException("confman migrate: " + flag + " must be a whole number of at least 1, was '"
                + text + "'");
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
