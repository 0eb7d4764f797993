package io.confman.bench.load;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The driver's HTTP/1.1 connection against a scripted server on a real socket: what it
 * sends, and each way an answer's body may be framed.
 */
class HttpConnectionTest {

    private ServerSocket server;
    private Thread serving;
    /** The request heads the server read, in order. */
    private final List<String> requests = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
            serving.join(10_000);
        }
    }

    /** Serves one connection: for each answer, reads one request (head and body) and writes the answer's bytes. */
    private URI serve(String... answers) throws IOException {
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        serving = new Thread(() -> {
            try (Socket socket = server.accept()) {
                InputStream in = socket.getInputStream();
                OutputStream out = socket.getOutputStream();
                for (String answer : answers) {
                    String head = readHead(in);
                    requests.add(head);
                    int at = head.indexOf("Content-Length: ");
                    if (at >= 0) {
                        long length = Long.parseLong(head.substring(at + 16, head.indexOf('\r', at)));
                        requests.add("body:" + new String(in.readNBytes((int) length), StandardCharsets.ISO_8859_1));
                    }
                    out.write(answer.getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                }
            } catch (IOException ignored) {
                // the test closed the server
            }
        });
        serving.start();
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed");
            }
            head.write(b);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void keepsTheConnectionForTheNextRequestAndReadsEachFraming() throws IOException {
        URI base = serve(
                "HTTP/1.1 201 Created\r\nETag: \"5\"\r\nContent-Length: 2\r\n\r\nok",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n",
                "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n",
                "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nto the end");
        try (HttpConnection connection = HttpConnection.open(base, 5_000, 10_000)) {
            HttpConnection.Response put = connection.exchange("PUT", "/v1/kv/a/b",
                    new String[] {"If-Match: \"4\""}, HttpConnection.Body.of("value".getBytes()), false);
            assertEquals(201, put.status());
            assertEquals("\"5\"", put.etag());
            assertNull(put.body(), "a body not asked for is dropped");
            HttpConnection.Response chunked = connection.exchange("GET", "/x", new String[0], null, true);
            assertEquals(200, chunked.status());
            assertArrayEquals("abcde".getBytes(), chunked.body());
            assertEquals(404, connection.exchange("GET", "/y", new String[0], null, true).status(),
                    "an interim 100 is skipped");
            assertTrue(connection.isOpen());
            HttpConnection.Response toEnd = connection.exchange("GET", "/z", new String[0], null, true);
            assertArrayEquals("to the end".getBytes(), toEnd.body());
            assertFalse(connection.isOpen(), "Connection: close ends it");
        }
        assertTrue(requests.get(0).startsWith("PUT /v1/kv/a/b HTTP/1.1\r\nHost: 127.0.0.1:"), requests.get(0));
        assertTrue(requests.get(0).contains("\r\nIf-Match: \"4\"\r\nContent-Length: 5\r\n\r\n"), requests.get(0));
        assertEquals("body:value", requests.get(1));
        assertTrue(requests.get(2).startsWith("GET /x HTTP/1.1\r\n"));
        assertFalse(requests.get(2).contains("Content-Length"), "no body, no length");
    }

    @Test
    void aTruncatedAnswerIsAnErrorAndClosesTheConnection() throws IOException {
        URI base = serve("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort");
        HttpConnection connection = HttpConnection.open(base, 5_000, 10_000);
        Thread closer = new Thread(() -> {
            try {
                serving.join();
                server.close();
            } catch (InterruptedException | IOException ignored) {
                // the test ends
            }
        });
        closer.start();
        assertThrows(IOException.class, () -> connection.exchange("GET", "/", new String[0], null, false));
        assertFalse(connection.isOpen());
    }

    @Test
    void answersWithoutABodyAndHeadersOfAnInterimAnswerDoNotLeak() throws IOException {
        URI base = serve(
                "HTTP/1.1 304 Not Modified\r\nETag: \"9\"\r\n\r\n",
                "HTTP/1.1 100 Continue\r\nContent-Length: 50\r\nETag: \"1\"\r\n\r\n"
                        + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
                "HTTP/1.1 204 No Content\r\n\r\n");
        try (HttpConnection connection = HttpConnection.open(base, 5_000, 10_000)) {
            HttpConnection.Response notModified = connection.exchange("GET", "/a", new String[0], null, true);
            assertEquals(304, notModified.status(), "no body and no length: not read to the end of the stream");
            assertEquals(0, notModified.body().length);
            HttpConnection.Response ok = connection.exchange("GET", "/b", new String[0], null, true);
            assertArrayEquals("hi".getBytes(), ok.body(), "the interim answer's length is not the final one's");
            assertNull(ok.etag(), "nor its ETag");
            assertEquals(204, connection.exchange("GET", "/c", new String[0], null, true).status());
            assertTrue(connection.isOpen());
        }
    }

    @Test
    void aMalformedLengthIsAnIoErrorNotACrash() throws IOException {
        URI base = serve("HTTP/1.1 200 OK\r\nContent-Length: lots\r\n\r\n");
        try (HttpConnection connection = HttpConnection.open(base, 5_000, 10_000)) {
            IOException error = assertThrows(IOException.class,
                    () -> connection.exchange("GET", "/", new String[0], null, false));
            assertTrue(error.getMessage().contains("Content-Length"), error.getMessage());
            assertFalse(connection.isOpen());
        }
    }

    @Test
    void aStreamedBodyIsSentWhole() throws IOException {
        URI base = serve("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n");
        GeneratedValue value = new GeneratedValue(3, 3 * GeneratedValue.BLOCK_BYTES + 17);
        try (HttpConnection connection = HttpConnection.open(base, 5_000, 10_000)) {
            assertEquals(204, connection.exchange("PUT", "/v", new String[0], value.body(), false).status());
        }
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        value.stream().transferTo(expected);
        assertEquals("body:" + expected.toString(StandardCharsets.ISO_8859_1), requests.get(1));
    }

    @Test
    void aRefusedConnectionThrowsBeforeSending() throws IOException {
        int port;
        try (ServerSocket unused = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = unused.getLocalPort();
        }
        assertThrows(java.net.ConnectException.class,
                () -> HttpConnection.open(URI.create("http://127.0.0.1:" + port), 5_000, 10_000));
    }
}
