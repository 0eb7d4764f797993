package io.confman.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.storage.blob.BlobStore;
import io.confman.testing.RawHttp;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What only a raw socket can send: malformed requests, huge headers, pipelining, idle and extra connections. */
class HttpConnectionTest {

    /** The blob executor's threads (NodeBlobs: a fixed pool of two). */
    private static final int BLOB_IO_THREADS = 2;

    @TempDir
    Path dir;
    private FrontCluster cluster;

    @BeforeEach
    void startOneNode() throws Exception {
        cluster = new FrontCluster(dir, 1);
        cluster.startAll();
        cluster.awaitLeader();
    }

    @AfterEach
    void closeAll() throws Exception {
        cluster.close();
    }

    private RawHttp connect() throws Exception {
        return new RawHttp(cluster.servers.get("n1").address(), FrontCluster.WAIT);
    }

    @Test
    void headersTooLargeGet431AsJson() throws Exception {
        try (RawHttp raw = connect()) {
            raw.send("GET /livez HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(FrontCluster.HEADER_BYTES_MAX + 10)
                    + "\r\n\r\n");
            RawHttp.Response response = raw.read();
            assertNotNull(response, "an answer, not a dropped connection");
            assertEquals(431, response.status());
            assertEquals("headers_too_large", JsonTree.errorCode(response.body()));
            assertEquals("n1", response.header("Confman-Node"));
            assertTrue(raw.closedByServer());
        }
    }

    @Test
    void aMalformedRequestGets400AsJson() throws Exception {
        try (RawHttp raw = connect()) {
            raw.send("GET /livez HTTP/1.1\r\nHost: x\r\nContent-Length: lots\r\n\r\n");
            RawHttp.Response response = raw.read();
            assertNotNull(response);
            assertEquals(400, response.status());
            assertEquals("bad_request", JsonTree.errorCode(response.body()));
        }
        try (RawHttp raw = connect()) {
            raw.send("PUT /v1/kv/app/bad%zzescape HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nv");
            RawHttp.Response response = raw.read();
            assertEquals(400, response.status());
            assertEquals("bad_request", JsonTree.errorCode(response.body()));
        }
    }

    @Test
    void aMalformedChunkedBodyIsRefusedAndNothingIsStored() throws Exception {
        BlobStore store = cluster.nodes.get("n1").blobs().store();
        long blobsBefore = store.count();
        // A small body (buffered) and one past inline-max-bytes (streamed into an upload),
        // each followed by a chunk-size line that is not hexadecimal.
        Map<String, Integer> sizes = Map.of("/v1/kv/app/bad-chunk-small", 10,
                "/v1/kv/app/bad-chunk-large", FrontCluster.INLINE_MAX_BYTES + 1000);
        for (Map.Entry<String, Integer> body : sizes.entrySet()) {
            try (RawHttp raw = connect()) {
                raw.send("PUT " + body.getKey() + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + Integer.toHexString(body.getValue()) + "\r\n" + "v".repeat(body.getValue()) + "\r\n"
                        + "zz\r\n");
                RawHttp.Response response = raw.read();
                assertNotNull(response, body.getKey());
                assertEquals(400, response.status(), body.getKey());
                assertEquals("bad_request", JsonTree.errorCode(response.body()));
                assertTrue(raw.closedByServer(), body.getKey());
            }
            assertEquals(404, cluster.get("n1", body.getKey()).statusCode(), body.getKey());
        }
        assertEquals(blobsBefore, store.count(), "no blob published");
    }

    @Test
    void aBadQueryEscapeGets400AloneAndPipelined() throws Exception {
        try (RawHttp raw = connect()) {
            raw.send("GET /v1/kv/app/k?x=%zz HTTP/1.1\r\nHost: x\r\n\r\n");
            RawHttp.Response response = raw.read();
            assertNotNull(response, "an answer, not a dropped connection");
            assertEquals(400, response.status());
            assertEquals("bad_request", JsonTree.errorCode(response.body()));
            raw.send("GET /livez HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(200, raw.read().status(), "the connection goes on");
        }
        try (RawHttp raw = connect()) {
            // The second request waits in the queue while the first is served.
            raw.send("GET /livez HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /livez?x=%zz HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(200, raw.read().status());
            RawHttp.Response second = raw.read();
            assertNotNull(second);
            assertEquals(400, second.status());
            assertEquals("bad_request", JsonTree.errorCode(second.body()));
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        try (RawHttp raw = connect()) {
            raw.send("PUT /v1/kv/app/p HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\none"
                    + "GET /v1/kv/app/p HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /livez HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            assertEquals(201, raw.read().status());
            RawHttp.Response value = raw.read();
            assertEquals(200, value.status());
            assertEquals("one", value.body());
            assertEquals(404, raw.read().status());
            RawHttp.Response last = raw.read();
            assertEquals(200, last.status());
            assertEquals("close", last.header("Connection"));
            assertTrue(raw.closedByServer());
        }
    }

    @Test
    void aDeclaredOversizedBodyIsRefusedAtOnce() throws Exception {
        try (RawHttp raw = connect()) {
            // Only the head is sent: the answer must not wait for the body.
            raw.send("PUT /v1/kv/app/big HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n");
            RawHttp.Response response = raw.read();
            assertEquals(413, response.status());
            assertEquals("value_too_large", JsonTree.errorCode(response.body()));
        }
    }

    @Test
    void expectContinueIsAnsweredBeforeTheBody() throws Exception {
        try (RawHttp raw = connect()) {
            raw.send("PUT /v1/kv/app/e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
            assertEquals(100, raw.read().status());
            raw.send("ok");
            assertEquals(201, raw.read().status());
        }
        try (RawHttp raw = connect()) {
            raw.send("PUT /v1/kv/app/e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 99999999\r\n\r\n");
            RawHttp.Response refused = raw.read();
            assertEquals(413, refused.status(), "refused before the client sends the body");
            assertTrue(raw.closedByServer());
        }
    }

    @Test
    void anIdleConnectionIsClosed() throws Exception {
        HttpConfig base = FrontCluster.httpConfig(FrontCluster.TOKEN);
        HttpConfig shortIdle = new HttpConfig(base.bind(), base.adminToken(), base.requestTimeoutMs(),
                base.inlineMaxBytes(), base.valueBytesMax(), base.headerBytesMax(), base.connectionsMax(), 200,
                base.waitMaxMs());
        ConfmanHttpServer server = cluster.serve(cluster.nodes.get("n1"), shortIdle);
        try (RawHttp raw = new RawHttp(server.address(), FrontCluster.WAIT)) {
            raw.send("GET /livez HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(200, raw.read().status());
            assertTrue(raw.closedByServer(), "closed after idleTimeoutMs without a request");
        }
    }

    @Test
    void anUploadWaitingForTheBlobExecutorIsNotClosedAsIdle() throws Exception {
        HttpConfig base = FrontCluster.httpConfig(FrontCluster.TOKEN);
        HttpConfig shortIdle = new HttpConfig(base.bind(), base.adminToken(), base.requestTimeoutMs(),
                base.inlineMaxBytes(), base.valueBytesMax(), base.headerBytesMax(), base.connectionsMax(), 200,
                base.waitMaxMs());
        ConfmanHttpServer server = cluster.serve(cluster.nodes.get("n1"), shortIdle);
        Executor blobIo = cluster.nodes.get("n1").blobs().io();
        CountDownLatch busy = new CountDownLatch(BLOB_IO_THREADS);
        CountDownLatch release = new CountDownLatch(1);
        try {
            // Occupy every thread of the blob executor, so that the upload waits to be opened.
            for (int i = 0; i < BLOB_IO_THREADS; i++) {
                blobIo.execute(() -> {
                    busy.countDown();
                    awaitQuietly(release);
                });
            }
            assertTrue(busy.await(FrontCluster.WAIT.toMillis(), TimeUnit.MILLISECONDS));
            byte[] bytes = "a blob whose upload waits".getBytes(StandardCharsets.UTF_8);
            try (RawHttp upload = new RawHttp(server.address(), FrontCluster.WAIT)) {
                upload.send("PUT /v1/blobs/" + digestName(bytes) + " HTTP/1.1\r\nHost: x\r\nContent-Length: "
                        + bytes.length + "\r\n\r\n" + new String(bytes, StandardCharsets.ISO_8859_1));
                // Two idle connections opened one after the other are closed: the upload's
                // connection, silent since it was sent, has passed its idle timeout too.
                for (int round = 0; round < 2; round++) {
                    try (RawHttp idle = new RawHttp(server.address(), FrontCluster.WAIT)) {
                        assertTrue(idle.closedByServer());
                    }
                }
                release.countDown();
                RawHttp.Response stored = upload.read();
                assertNotNull(stored, "the upload's connection was not closed while the server kept it waiting");
                assertEquals(201, stored.status(), stored.body());
            }
        } finally {
            release.countDown();
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String digestName(byte[] bytes) throws Exception {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    @Test
    void connectionsOverTheMaximumAreRefused() throws Exception {
        HttpConfig base = FrontCluster.httpConfig(FrontCluster.TOKEN);
        HttpConfig two = new HttpConfig(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), base.adminToken(),
                base.requestTimeoutMs(), base.inlineMaxBytes(), base.valueBytesMax(), base.headerBytesMax(), 2,
                base.idleTimeoutMs(), base.waitMaxMs());
        ConfmanHttpServer server = cluster.serve(cluster.nodes.get("n1"), two);
        try (RawHttp first = new RawHttp(server.address(), FrontCluster.WAIT);
             RawHttp second = new RawHttp(server.address(), FrontCluster.WAIT)) {
            for (RawHttp open : new RawHttp[] {first, second}) {
                open.send("GET /livez HTTP/1.1\r\nHost: x\r\n\r\n");
                assertEquals(200, open.read().status());
            }
            try (RawHttp third = new RawHttp(server.address(), FrontCluster.WAIT)) {
                RawHttp.Response refused = third.read();
                assertEquals(503, refused.status());
                assertEquals("too_many_connections", JsonTree.errorCode(refused.body()));
                assertNull(third.read());
            }
            first.send("GET /livez HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(200, first.read().status(), "the open connections still work");
        }
    }
}
