package io.confman.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The client commands over the HTTP API (CONTRACT.md, client API): {@code put}, {@code get},
 * {@code delete}, {@code list}, {@code status}. Each sends one request to the first URL of
 * {@code --url} that accepts a connection; a node that is down is skipped, an HTTP error is
 * not (a follower forwards to the leader itself, and retrying a write elsewhere could apply
 * it twice). JSON answers are printed as received; {@code get} prints the value's bytes.
 */
final class ClientCommand {

    static final String URL_DEFAULT = "http://127.0.0.1:8080";
    static final long CONNECT_TIMEOUT_MS = 5_000;
    /** Longer than the node's default request timeout (10 s), so the node's 504 reaches the user. */
    static final long REQUEST_TIMEOUT_MS = 60_000;
    /** A value read from stdin is held in memory to allow a retry on the next URL. */
    static final long STDIN_VALUE_BYTES_MAX = 64L * 1024 * 1024;

    /** One request, built for any base URL. */
    record Call(String method, String pathAndQuery, List<String> headers, Body body, boolean rawOutput) {
    }

    /** A request body that can be sent again to the next URL. */
    sealed interface Body {
    }

    record NoBody() implements Body {
    }

    record BytesBody(byte[] bytes) implements Body {
    }

    record FileBody(Path file) implements Body {
    }

    private ClientCommand() {
    }

    static int run(String command, String[] args, String urlFromEnvironment, InputStream in, PrintStream out,
                   PrintStream err) {
        List<URI> urls;
        Call call;
        try {
            Flags flags = Flags.parse("confman " + command, args, valuedFlags(command), booleanFlags(command));
            urls = parseUrls(flags.has("url") ? flags.get("url")
                    : urlFromEnvironment != null && !urlFromEnvironment.isBlank() ? urlFromEnvironment : URL_DEFAULT);
            call = build(command, flags, in);
        } catch (UsageException e) {
            err.println(e.getMessage());
            return Main.EXIT_USAGE;
        }
        return send(command, urls, call, out, err);
    }

    private static Set<String> valuedFlags(String command) {
        return switch (command) {
            case "put" -> Set.of("url", "file", "if-match");
            case "delete" -> Set.of("url", "if-match");
            case "list" -> Set.of("url", "prefix", "limit", "after");
            default -> Set.of("url");
        };
    }

    private static Set<String> booleanFlags(String command) {
        return switch (command) {
            case "put" -> Set.of("create-only");
            case "get" -> Set.of("stale");
            default -> Set.of();
        };
    }

    static List<URI> parseUrls(String list) throws UsageException {
        List<URI> urls = new ArrayList<>();
        for (String item : list.split(",")) {
            String text = item.strip();
            URI uri;
            try {
                uri = URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
            } catch (IllegalArgumentException e) {
                throw new UsageException("confman: --url '" + text + "' is not a URL");
            }
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                throw new UsageException("confman: --url '" + text + "' is not an http:// or https:// URL");
            }
            urls.add(uri);
        }
        if (urls.isEmpty()) {
            throw new UsageException("confman: --url lists no URL");
        }
        return urls;
    }

    static Call build(String command, Flags flags, InputStream in) throws UsageException {
        List<String> args = flags.positionals();
        String usagePrefix = "confman " + command + ": ";
        return switch (command) {
            case "put" -> {
                requireCount(usagePrefix, args, 2, 3, "NS KEY [VALUE]");
                if (flags.has("if-match") && flags.has("create-only")) {
                    throw new UsageException(usagePrefix + "--if-match and --create-only exclude each other");
                }
                if (args.size() == 3 && flags.has("file")) {
                    throw new UsageException(usagePrefix + "give the value as an argument or with --file, not both");
                }
                List<String> headers = new ArrayList<>(List.of("Content-Type", "application/octet-stream"));
                preconditions(usagePrefix, flags, headers);
                if (flags.has("create-only")) {
                    headers.addAll(List.of("If-None-Match", "*"));
                }
                Body body = args.size() == 3 ? new BytesBody(args.get(2).getBytes(StandardCharsets.UTF_8))
                        : flags.has("file") ? fileBody(usagePrefix, flags.get("file")) : stdinBody(usagePrefix, in);
                yield new Call("PUT", keyPath(args), headers, body, false);
            }
            case "get" -> {
                requireCount(usagePrefix, args, 2, 2, "NS KEY");
                yield new Call("GET", keyPath(args) + (flags.has("stale") ? "?consistency=stale" : ""), List.of(),
                        new NoBody(), true);
            }
            case "delete" -> {
                requireCount(usagePrefix, args, 2, 2, "NS KEY");
                List<String> headers = new ArrayList<>();
                preconditions(usagePrefix, flags, headers);
                yield new Call("DELETE", keyPath(args), headers, new NoBody(), false);
            }
            case "list" -> {
                requireCount(usagePrefix, args, 1, 1, "NS");
                StringBuilder query = new StringBuilder();
                if (flags.has("prefix")) {
                    query.append("&prefix=").append(encode(flags.get("prefix")));
                }
                if (flags.has("limit")) {
                    query.append("&limit=").append(flags.longValue("confman list", "limit", 0, 1, Integer.MAX_VALUE));
                }
                if (flags.has("after")) {
                    query.append("&after=").append(encode(flags.get("after")));
                }
                String path = "/v1/kv/" + encode(args.get(0)) + (query.length() == 0 ? "" : "?" + query.substring(1));
                yield new Call("GET", path, List.of(), new NoBody(), false);
            }
            case "status" -> {
                requireCount(usagePrefix, args, 0, 0, "");
                yield new Call("GET", "/v1/status", List.of(), new NoBody(), false);
            }
            default -> throw new UsageException("confman: unknown client command '" + command + "'");
        };
    }

    private static void preconditions(String usagePrefix, Flags flags, List<String> headers) throws UsageException {
        if (flags.has("if-match")) {
            long revision = flags.longValue(usagePrefix.strip(), "if-match", 0, 0, Long.MAX_VALUE);
            headers.addAll(List.of("If-Match", "\"" + revision + "\""));
        }
    }

    private static void requireCount(String usagePrefix, List<String> args, int min, int max, String shape)
            throws UsageException {
        if (args.size() < min || args.size() > max) {
            throw new UsageException(usagePrefix + "expected " + (shape.isEmpty() ? "no arguments" : shape)
                    + ", got " + args.size() + " argument(s)");
        }
        for (String arg : args.subList(0, Math.min(args.size(), 2))) {
            if (arg.isEmpty()) {
                throw new UsageException(usagePrefix + "namespace and key must not be empty");
            }
        }
    }

    private static Body fileBody(String usagePrefix, String name) throws UsageException {
        Path file = Path.of(name);
        if (!Files.isReadable(file) || Files.isDirectory(file)) {
            throw new UsageException(usagePrefix + "--file " + name + " is not a readable file");
        }
        return new FileBody(file);
    }

    private static Body stdinBody(String usagePrefix, InputStream in) throws UsageException {
        try {
            byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, STDIN_VALUE_BYTES_MAX + 1));
            if (bytes.length > STDIN_VALUE_BYTES_MAX) {
                throw new UsageException(usagePrefix + "a value on stdin may hold at most " + STDIN_VALUE_BYTES_MAX
                        + " bytes; use --file");
            }
            return new BytesBody(bytes);
        } catch (IOException e) {
            throw new UsageException(usagePrefix + "reading the value from stdin failed: " + e, e);
        }
    }

    static String keyPath(List<String> args) {
        return "/v1/kv/" + encode(args.get(0)) + "/" + encode(args.get(1));
    }

    /** Percent-encodes one path segment or query value (URLEncoder's '+' is a form-encoding space). */
    static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static int send(String command, List<URI> urls, Call call, PrintStream out, PrintStream err) {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(CONNECT_TIMEOUT_MS))
                .followRedirects(HttpClient.Redirect.NEVER).version(HttpClient.Version.HTTP_1_1).build();
        List<String> failures = new ArrayList<>();
        for (URI base : urls) {
            HttpRequest request;
            try {
                request = request(base, call);
            } catch (IOException e) {
                err.println("confman " + command + ": " + UsageException.oneLine(e.toString()));
                return Main.EXIT_USAGE;
            }
            HttpResponse<InputStream> response;
            try {
                response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
            } catch (ConnectException | HttpConnectTimeoutException e) {
                // Nothing reached this node: trying the next one cannot apply a write twice.
                // java.net.http's ConnectException often has no message: name the kind then.
                String why = e.getMessage() != null ? e.getMessage()
                        : e instanceof HttpConnectTimeoutException ? "connect timed out" : "could not connect";
                failures.add(base + " (" + UsageException.oneLine(why) + ")");
                continue;
            } catch (IOException e) {
                err.println("confman " + command + ": " + base + ": " + UsageException.oneLine(e.toString())
                        + " (outcome unknown)");
                return Main.EXIT_FAILURE;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                err.println("confman " + command + ": interrupted");
                return Main.EXIT_FAILURE;
            }
            return print(command, response, call.rawOutput(), out, err);
        }
        err.println("confman " + command + ": no node answered: " + String.join(", ", failures));
        return Main.EXIT_FAILURE;
    }

    private static HttpRequest request(URI base, Call call) throws IOException {
        HttpRequest.BodyPublisher publisher;
        if (call.body() instanceof BytesBody bytes) {
            publisher = HttpRequest.BodyPublishers.ofByteArray(bytes.bytes());
        } else if (call.body() instanceof FileBody file) {
            publisher = HttpRequest.BodyPublishers.ofFile(file.file());
        } else {
            publisher = HttpRequest.BodyPublishers.noBody();
        }
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(base + call.pathAndQuery()))
                .timeout(Duration.ofMillis(REQUEST_TIMEOUT_MS)).method(call.method(), publisher);
        List<String> headers = call.headers();
        for (int i = 0; i < headers.size(); i += 2) {
            builder.header(headers.get(i), headers.get(i + 1));
        }
        return builder.build();
    }

    private static int print(String command, HttpResponse<InputStream> response, boolean rawOutput, PrintStream out,
                             PrintStream err) {
        boolean success = response.statusCode() / 100 == 2;
        try (InputStream body = response.body()) {
            if (success) {
                body.transferTo(out);
                if (!rawOutput) {
                    out.println();
                }
                out.flush();
                return Main.EXIT_OK;
            }
            byte[] error = body.readNBytes(64 * 1024);
            String text = new String(error, StandardCharsets.UTF_8).strip();
            err.println(text.isEmpty() ? "confman " + command + ": HTTP " + response.statusCode() : text);
            return Main.EXIT_FAILURE;
        } catch (IOException e) {
            err.println("confman " + command + ": reading the answer failed: " + UsageException.oneLine(e.toString()));
            return Main.EXIT_FAILURE;
        }
    }
}
