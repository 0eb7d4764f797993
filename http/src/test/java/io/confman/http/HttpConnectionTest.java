package io.confman.http;

import io.confman.testing.RawHttp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What only a raw socket can send: malformed requests, huge headers, pipelining, idle and extra connections. */
class HttpConnectionTest {

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
