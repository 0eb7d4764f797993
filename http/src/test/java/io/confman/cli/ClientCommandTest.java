package io.confman.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client commands against a stand-in HTTP server that records what it was sent. */
class ClientCommandTest {

    /** One request as the stand-in saw it. */
    record Seen(String method, String uri, String ifMatch, String ifNoneMatch, String body) {
    }

    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private HttpServer server;
    private String url;

    @TempDir
    Path dir;

    @BeforeEach
    void startStandIn() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/", this::answer);
        server.start();
        url = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stopStandIn() {
        server.stop(0);
    }

    private void answer(HttpExchange exchange) throws IOException {
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        String uri = exchange.getRequestURI().getRawPath()
                + (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery());
        seen.add(new Seen(exchange.getRequestMethod(), uri, exchange.getRequestHeaders().getFirst("If-Match"),
                exchange.getRequestHeaders().getFirst("If-None-Match"), body));
        int status;
        String answer;
        if (uri.contains("missing")) {
            status = 404;
            answer = "{\"error\":{\"code\":\"not_found\",\"message\":\"no such key\"}}";
        } else if (exchange.getRequestMethod().equals("GET") && uri.startsWith("/v1/kv/app/greeting")) {
            status = 200;
            answer = "hello";
        } else {
            status = exchange.getRequestMethod().equals("PUT") ? 201 : 200;
            answer = "{\"ok\":true}";
        }
        byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    /** Runs one command; returns status, stdout and stderr. */
    private record Result(int status, String out, String err) {
    }

    private Result run(String stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        InputStream in = new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8));
        String command = args[0];
        String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
        int status = ClientCommand.run(command, rest, null, in, new PrintStream(out, true),
                new PrintStream(err, true));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void putFromArgumentStdinAndFile() throws IOException {
        assertEquals(0, run("", "put", "--url", url, "app", "greeting", "hello").status());
        assertEquals(0, run("from stdin", "put", "--url", url, "--create-only", "app", "k2").status());
        Path file = Files.writeString(dir.resolve("value"), "from a file");
        Result fromFile = run("", "put", "--url", url, "--if-match", "7", "--file", file.toString(), "app", "k 3");
        assertEquals(0, fromFile.status(), fromFile.err());
        assertEquals("{\"ok\":true}\n", fromFile.out());
        assertEquals(new Seen("PUT", "/v1/kv/app/greeting", null, null, "hello"), seen.get(0));
        assertEquals(new Seen("PUT", "/v1/kv/app/k2", null, "*", "from stdin"), seen.get(1));
        assertEquals(new Seen("PUT", "/v1/kv/app/k%203", "\"7\"", null, "from a file"), seen.get(2));
    }

    @Test
    void getPrintsTheValueBytesAndStaleAsksForIt() {
        Result get = run("", "get", "--url", url, "app", "greeting", "--stale");
        assertEquals(0, get.status());
        assertEquals("hello", get.out());
        assertEquals("/v1/kv/app/greeting?consistency=stale", seen.get(0).uri());
    }

    @Test
    void listDeleteAndStatusPaths() {
        assertEquals(0, run("", "list", "--url", url, "app", "--prefix", "db/", "--limit", "10", "--after", "db/a")
                .status());
        assertEquals(0, run("", "delete", "--url", url, "--if-match", "3", "app", "k").status());
        assertEquals(0, run("", "status", "--url", url).status());
        assertEquals("/v1/kv/app?prefix=db%2F&limit=10&after=db%2Fa", seen.get(0).uri());
        assertEquals(new Seen("DELETE", "/v1/kv/app/k", "\"3\"", null, ""), seen.get(1));
        assertEquals("/v1/status", seen.get(2).uri());
    }

    @Test
    void anHttpErrorExits1WithTheJsonOnStderr() {
        Result missing = run("", "get", "--url", url, "app", "missing");
        assertEquals(1, missing.status());
        assertEquals("", missing.out());
        assertTrue(missing.err().contains("\"code\":\"not_found\""), missing.err());
    }

    @Test
    void aNodeThatRefusesTheConnectionIsSkipped() throws IOException {
        int closedPort = FreePorts.pick();
        Result result = run("", "status", "--url", "http://127.0.0.1:" + closedPort + "," + url);
        assertEquals(0, result.status(), result.err());
        assertEquals(1, seen.size());
        Result none = run("", "status", "--url", "http://127.0.0.1:" + closedPort);
        assertEquals(1, none.status());
        assertTrue(none.err().contains("no node answered"), none.err());
        assertFalse(none.err().contains("null"), "the reason is named: " + none.err());
    }

    @Test
    void usageErrorsExit2WithOneLine() {
        for (String[] args : List.of(new String[] {"put", "--url", url, "app"},
                new String[] {"put", "--url", url, "--if-match", "1", "--create-only", "a", "k", "v"},
                new String[] {"put", "--url", url, "--file", "/no/such/file", "a", "k"},
                new String[] {"get", "--url", url, "a"},
                new String[] {"get", "--url", "ftp://x", "a", "k"},
                new String[] {"delete", "--url", url, "--if-match", "abc", "a", "k"},
                new String[] {"list", "--url", url, "a", "--limit", "0"},
                new String[] {"status", "--url", url, "extra"},
                new String[] {"status", "--verbose"})) {
            Result result = run("", args);
            assertEquals(2, result.status(), String.join(" ", args) + ": " + result.err());
            assertEquals(1, result.err().lines().count(), result.err());
        }
        assertTrue(seen.isEmpty(), "a usage error sends nothing");
    }
}
