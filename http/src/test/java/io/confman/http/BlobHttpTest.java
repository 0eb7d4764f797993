package io.confman.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.storage.blob.BlobDigest;
import io.confman.storage.blob.BlobStore;
import io.confman.testing.RawHttp;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The blob routes and values over inline-max-bytes (CONTRACT.md) on three real nodes: bodies
 * stream into the blob store, reads stream from it on any node, and nothing is left behind
 * by a refused or abandoned upload.
 */
class BlobHttpTest {

    private static final int INLINE_MAX_BYTES = 1024;
    private static final long VALUE_BYTES_MAX = 8L * 1024 * 1024;
    /** A front over n1 with a small maximum, for the 413s. */
    private static final long SMALL_VALUE_BYTES_MAX = 64 * 1024;

    @TempDir
    Path dir;
    private FrontCluster cluster;
    private final Random random = new Random(20240611);

    @BeforeEach
    void startThreeNodes() throws Exception {
        cluster = new FrontCluster(dir, 3);
        cluster.inlineMaxBytes = INLINE_MAX_BYTES;
        cluster.valueBytesMax = VALUE_BYTES_MAX;
        cluster.startAll();
        cluster.awaitLeader();
    }

    @AfterEach
    void closeAll() throws Exception {
        cluster.close();
    }

    // ---------------------------------------------------------------- /v1/blobs

    @Test
    void anUploadedBlobIsServedByEveryNode() throws Exception {
        byte[] bytes = randomBytes(300 * 1024 + 7);
        String name = digestName(bytes);
        HttpResponse<String> created = putBlob("n2", name, bytes, "application/x-test");
        assertEquals(201, created.statusCode(), created.body());
        Map<String, Object> json = JsonTree.object(created.body());
        assertEquals(name, json.get("digest"));
        assertEquals((long) bytes.length, json.get("size"));
        assertEquals("\"" + name + "\"", created.headers().firstValue("ETag").orElseThrow());
        HttpResponse<String> again = putBlob("n3", name, bytes, "application/x-test");
        assertEquals(200, again.statusCode(), again.body());

        for (String id : cluster.nodes.keySet()) {
            HttpResponse<byte[]> got = getBytes(cluster.request(id, "/v1/blobs/" + name).GET());
            assertEquals(200, got.statusCode(), id);
            assertArrayEquals(bytes, got.body(), id);
            assertEquals(name, digestName(got.body()), id);
            assertEquals("\"" + name + "\"", got.headers().firstValue("ETag").orElseThrow(), id);
            assertEquals(String.valueOf(bytes.length), got.headers().firstValue("Content-Length").orElseThrow(), id);
            assertEquals("application/x-test", got.headers().firstValue("Content-Type").orElseThrow(), id);
            assertEquals("bytes", got.headers().firstValue("Accept-Ranges").orElseThrow(), id);

            HttpResponse<byte[]> head = getBytes(cluster.request(id, "/v1/blobs/" + name)
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()));
            assertEquals(200, head.statusCode(), id);
            assertEquals(0, head.body().length, id);
            assertEquals(String.valueOf(bytes.length), head.headers().firstValue("Content-Length").orElseThrow(), id);
            assertEquals("\"" + name + "\"", head.headers().firstValue("ETag").orElseThrow(), id);
        }

        // The registry lists it like any key, read-only.
        List<Object> items = listItems("n1", ".blobs");
        assertEquals(1, items.size(), items.toString());
        @SuppressWarnings("unchecked")
        Map<String, Object> item = (Map<String, Object>) items.get(0);
        assertEquals(name, item.get("key"));
        assertEquals(true, item.get("blob"));

        String metrics = cluster.get("n2", "/metrics").body();
        assertTrue(metrics.contains("confman_http_blob_upload_bytes_total{route=\"blob_put\"} "), metrics);
        assertTrue(metrics.contains("confman_http_blob_download_bytes_total{route=\"blob_get\"} "), metrics);
    }

    @Test
    void unknownAndMalformedBlobNames() throws Exception {
        String absent = digestName("never uploaded".getBytes(StandardCharsets.UTF_8));
        assertEquals(404, cluster.get("n1", "/v1/blobs/" + absent).statusCode());
        HttpResponse<byte[]> head = getBytes(cluster.request("n1", "/v1/blobs/" + absent)
                .method("HEAD", HttpRequest.BodyPublishers.noBody()));
        assertEquals(404, head.statusCode());
        for (String bad : List.of("sha256:abc", "md5:" + "0".repeat(64), "sha256:" + "g".repeat(64))) {
            HttpResponse<String> got = cluster.get("n1", "/v1/blobs/" + bad);
            assertEquals(400, got.statusCode(), bad);
            HttpResponse<String> put = putBlob("n1", bad, new byte[10], null);
            assertEquals(400, put.statusCode(), bad);
            assertEquals("bad_request", JsonTree.errorCode(put.body()));
        }
    }

    @Test
    void aBodyThatDoesNotHashToItsNameIsRefusedAndNotStored() throws Exception {
        byte[] bytes = randomBytes(50_000);
        String otherName = digestName(randomBytes(10));
        BlobStore store = cluster.nodes.get("n2").blobs().store();
        long before = store.count();
        Set<Path> filesBefore = files(store);
        HttpResponse<String> refused = putBlob("n2", otherName, bytes, null);
        assertEquals(400, refused.statusCode(), refused.body());
        assertEquals("digest_mismatch", JsonTree.errorCode(refused.body()));
        assertEquals(before, store.count());
        assertEquals(filesBefore, files(store));
        assertEquals(404, cluster.get("n2", "/v1/blobs/" + otherName).statusCode());
        assertEquals(404, cluster.get("n2", "/v1/blobs/" + digestName(bytes)).statusCode());
    }

    @Test
    void rangesAndConditionalRequests() throws Exception {
        byte[] bytes = randomBytes(10_000);
        String name = digestName(bytes);
        assertEquals(201, putBlob("n1", name, bytes, null).statusCode());
        String path = "/v1/blobs/" + name;

        assertRange("n3", path, "bytes=0-99", bytes, 0, 99);
        assertRange("n3", path, "bytes=-10", bytes, bytes.length - 10, bytes.length - 1);
        assertRange("n3", path, "bytes=1000-1999", bytes, 1000, 1999);
        assertRange("n3", path, "bytes=9990-", bytes, 9990, bytes.length - 1);

        HttpResponse<String> outside = cluster.send(cluster.request("n3", path)
                .header("Range", "bytes=" + bytes.length + "-").GET().build());
        assertEquals(416, outside.statusCode());
        assertEquals("bytes */" + bytes.length, outside.headers().firstValue("Content-Range").orElseThrow());

        HttpResponse<String> notModified = cluster.send(cluster.request("n3", path)
                .header("If-None-Match", "\"" + name + "\"").GET().build());
        assertEquals(304, notModified.statusCode());
        assertEquals("", notModified.body());
        assertEquals("\"" + name + "\"", notModified.headers().firstValue("ETag").orElseThrow());
        assertEquals(Optional.empty(), notModified.headers().firstValue("Content-Length"));
        HttpResponse<byte[]> otherTag = getBytes(cluster.request("n3", path).header("If-None-Match", "\"x\"").GET());
        assertEquals(200, otherTag.statusCode());
        assertArrayEquals(bytes, otherTag.body());

        // If-Range: the range while the client's tag is the blob's, else the whole blob.
        HttpResponse<byte[]> sameTag = getBytes(cluster.request("n3", path).header("Range", "bytes=0-99")
                .header("If-Range", "\"" + name + "\"").GET());
        assertEquals(206, sameTag.statusCode());
        assertArrayEquals(Arrays.copyOfRange(bytes, 0, 100), sameTag.body());
        HttpResponse<byte[]> staleTag = getBytes(cluster.request("n3", path).header("Range", "bytes=0-99")
                .header("If-Range", "\"sha256:" + "0".repeat(64) + "\"").GET());
        assertEquals(200, staleTag.statusCode());
        assertArrayEquals(bytes, staleTag.body());
    }

    @Test
    void headAnswersFromThePointerWithoutFetchingOrRanges() throws Exception {
        byte[] bytes = randomBytes(20_000);
        String name = digestName(bytes);
        assertEquals(201, putBlob("n1", name, bytes, "application/x-head").statusCode());
        String path = "/v1/blobs/" + name;
        // n1 serves it once it has applied the registry's record; then it loses its copy. No
        // peer sends it back unasked: only the node a blob was uploaded to pushes it.
        FrontCluster.await("n1 serving the blob", () -> {
            try {
                return cluster.get("n1", path).statusCode() == 200 ? Boolean.TRUE : null;
            } catch (IOException | InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        BlobStore store = cluster.nodes.get("n1").blobs().store();
        BlobDigest digest = BlobDigest.parse(name);
        assertTrue(store.delete(digest));

        // HEAD ignores Range (RFC 9110 section 14.2: GET only) and needs only the pointer.
        HttpResponse<byte[]> head = getBytes(cluster.request("n1", path).header("Range", "bytes=0-9")
                .method("HEAD", HttpRequest.BodyPublishers.noBody()));
        assertEquals(200, head.statusCode());
        assertEquals(0, head.body().length);
        assertEquals(String.valueOf(bytes.length), head.headers().firstValue("Content-Length").orElseThrow());
        assertEquals(Optional.empty(), head.headers().firstValue("Content-Range"));
        assertEquals("application/x-head", head.headers().firstValue("Content-Type").orElseThrow());
        assertEquals("\"" + name + "\"", head.headers().firstValue("ETag").orElseThrow());
        assertFalse(store.contains(digest), "a HEAD does not fetch the blob");

        HttpResponse<byte[]> got = getBytes(cluster.request("n1", path).GET());
        assertEquals(200, got.statusCode());
        assertArrayEquals(bytes, got.body(), "a GET fetches it from a peer");
    }

    @Test
    void anEmptyBlob() throws Exception {
        String name = digestName(new byte[0]);
        assertEquals(201, putBlob("n1", name, new byte[0], null).statusCode());
        HttpResponse<byte[]> got = getBytes(cluster.request("n2", "/v1/blobs/" + name).GET());
        assertEquals(200, got.statusCode());
        assertEquals(0, got.body().length);
        assertEquals("0", got.headers().firstValue("Content-Length").orElseThrow());
        assertEquals("application/octet-stream", got.headers().firstValue("Content-Type").orElseThrow());
        HttpResponse<String> anyRange = cluster.send(cluster.request("n2", "/v1/blobs/" + name)
                .header("Range", "bytes=0-0").GET().build());
        assertEquals(416, anyRange.statusCode());
    }

    private void assertRange(String id, String path, String range, byte[] bytes, int first, int last)
            throws Exception {
        HttpResponse<byte[]> partial = getBytes(cluster.request(id, path).header("Range", range).GET());
        assertEquals(206, partial.statusCode(), range);
        assertArrayEquals(Arrays.copyOfRange(bytes, first, last + 1), partial.body(), range);
        assertEquals("bytes " + first + "-" + last + "/" + bytes.length,
                partial.headers().firstValue("Content-Range").orElseThrow(), range);
        assertEquals(String.valueOf(last - first + 1), partial.headers().firstValue("Content-Length").orElseThrow());
    }

    // ---------------------------------------------------------------- limits

    @Test
    void bodiesOverTheMaximumAreRefusedWith413() throws Exception {
        ConfmanHttpServer small = cluster.serve(cluster.nodes.get("n1"),
                FrontCluster.httpConfig(FrontCluster.TOKEN, INLINE_MAX_BYTES, SMALL_VALUE_BYTES_MAX));
        BlobStore store = cluster.nodes.get("n1").blobs().store();
        long before = store.count();
        Set<Path> filesBefore = files(store);
        byte[] tooLarge = randomBytes((int) SMALL_VALUE_BYTES_MAX + 1);
        String name = digestName(tooLarge);
        for (String path : List.of("/v1/blobs/" + name, "/v1/kv/app/too-large")) {
            // Refused from Content-Length alone, before the body is sent.
            try (RawHttp raw = new RawHttp(small.address(), FrontCluster.WAIT)) {
                raw.send("PUT " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + tooLarge.length + "\r\n\r\n");
                RawHttp.Response refused = raw.read();
                assertEquals(413, refused.status(), path);
                assertEquals("value_too_large", JsonTree.errorCode(refused.body()));
            }
            // A chunked body is refused once it passes the maximum.
            HttpResponse<String> chunked = cluster.send(HttpRequest.newBuilder(FrontCluster.uri(small, path))
                    .timeout(FrontCluster.WAIT)
                    .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(tooLarge)))
                    .build());
            assertEquals(413, chunked.statusCode(), path);
            assertEquals("value_too_large", JsonTree.errorCode(chunked.body()));
        }
        FrontCluster.await("the refused uploads' temporary files deleted",
                () -> files(store).equals(filesBefore) ? Boolean.TRUE : null);
        assertEquals(before, store.count());
        assertEquals(404, cluster.get("n1", "/v1/kv/app/too-large").statusCode());

        byte[] fits = Arrays.copyOf(tooLarge, (int) SMALL_VALUE_BYTES_MAX);
        HttpResponse<String> stored = cluster.send(HttpRequest.newBuilder(FrontCluster.uri(small,
                        "/v1/blobs/" + digestName(fits))).timeout(FrontCluster.WAIT)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(fits)).build());
        assertEquals(201, stored.statusCode(), stored.body());
    }

    @Test
    void aClientThatLeavesMidUploadLeavesNothingBehind() throws Exception {
        BlobStore store = cluster.nodes.get("n2").blobs().store();
        long before = store.count();
        Set<Path> filesBefore = files(store);
        byte[] bytes = randomBytes(4 * 1024 * 1024);
        for (String path : List.of("/v1/blobs/" + digestName(bytes), "/v1/kv/app/abandoned")) {
            try (Socket socket = new Socket("127.0.0.1", cluster.servers.get("n2").address().getPort())) {
                OutputStream out = socket.getOutputStream();
                out.write(("PUT " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + bytes.length + "\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.write(bytes, 0, bytes.length / 4);
                out.flush();
                FrontCluster.await("the upload's temporary file for " + path,
                        () -> files(store).size() > filesBefore.size() ? Boolean.TRUE : null);
            }
            FrontCluster.await("the abandoned upload's temporary file deleted",
                    () -> files(store).equals(filesBefore) ? Boolean.TRUE : null);
            assertEquals(before, store.count());
        }
        assertEquals(404, cluster.get("n2", "/v1/kv/app/abandoned").statusCode());
        assertEquals(404, cluster.get("n2", "/v1/blobs/" + digestName(bytes)).statusCode());
    }

    // ---------------------------------------------------------------- values over inline-max-bytes

    @Test
    void aLargeValueGoesToTheBlobStoreAndStreamsFromAnyNode() throws Exception {
        byte[] bytes = randomBytes(3 * 1024 * 1024 + 11);
        HttpResponse<String> created = cluster.send(cluster.request("n2", "/v1/kv/app/large")
                .header("Content-Type", "application/x-large")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)).build());
        assertEquals(201, created.statusCode(), created.body());
        Map<String, Object> meta = JsonTree.object(created.body());
        assertEquals(true, meta.get("blob"));
        assertEquals((long) bytes.length, meta.get("size"));
        long revision = (Long) meta.get("mod_revision");
        String etag = "\"" + revision + "\"";
        assertEquals(etag, created.headers().firstValue("ETag").orElseThrow());

        for (String query : List.of("", "?consistency=stale")) {
            HttpResponse<byte[]> got = getBytes(cluster.request("n3", "/v1/kv/app/large" + query).GET());
            assertEquals(200, got.statusCode(), query);
            assertArrayEquals(bytes, got.body(), query);
            assertEquals(etag, got.headers().firstValue("ETag").orElseThrow());
            assertEquals(String.valueOf(bytes.length), got.headers().firstValue("Content-Length").orElseThrow());
            assertEquals("1", got.headers().firstValue("Confman-Version").orElseThrow());
            assertEquals(String.valueOf(revision), got.headers().firstValue("Confman-Mod-Revision").orElseThrow());
            assertEquals("application/x-large", got.headers().firstValue("Content-Type").orElseThrow());
        }
        HttpResponse<byte[]> waited = getBytes(cluster.request("n1", "/v1/kv/app/large?index=0&wait=5s").GET());
        assertEquals(200, waited.statusCode());
        assertArrayEquals(bytes, waited.body());
        assertRange("n1", "/v1/kv/app/large", "bytes=-10", bytes, bytes.length - 10, bytes.length - 1);
        HttpResponse<byte[]> sameTag = getBytes(cluster.request("n1", "/v1/kv/app/large")
                .header("Range", "bytes=-10").header("If-Range", etag).GET());
        assertEquals(206, sameTag.statusCode());
        assertArrayEquals(Arrays.copyOfRange(bytes, bytes.length - 10, bytes.length), sameTag.body());
        HttpResponse<byte[]> staleTag = getBytes(cluster.request("n1", "/v1/kv/app/large")
                .header("Range", "bytes=-10").header("If-Range", "\"" + (revision - 1) + "\"").GET());
        assertEquals(200, staleTag.statusCode());
        assertArrayEquals(bytes, staleTag.body());
        HttpResponse<String> notModified = cluster.send(cluster.request("n1", "/v1/kv/app/large")
                .header("If-None-Match", etag).GET().build());
        assertEquals(304, notModified.statusCode());
        assertEquals(Optional.empty(), notModified.headers().firstValue("Content-Length"));
        HttpResponse<String> createOnly = cluster.send(cluster.request("n1", "/v1/kv/app/large")
                .header("If-None-Match", "*").PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)).build());
        assertEquals(412, createOnly.statusCode(), createOnly.body());

        Map<String, Object> listed = JsonTree.object(cluster.get("n1", "/v1/kv/app").body());
        @SuppressWarnings("unchecked")
        Map<String, Object> item = ((List<Map<String, Object>>) listed.get("items")).get(0);
        assertEquals("large", item.get("key"));
        assertEquals(true, item.get("blob"));

        // A small value replaces it inline.
        HttpResponse<String> small = cluster.send(cluster.request("n1", "/v1/kv/app/large")
                .header("If-Match", etag).PUT(HttpRequest.BodyPublishers.ofString("small")).build());
        assertEquals(200, small.statusCode(), small.body());
        assertEquals(false, JsonTree.object(small.body()).get("blob"));
        assertEquals("small", cluster.get("n3", "/v1/kv/app/large").body());
    }

    @Test
    void aChunkedValueSpillsIntoTheBlobStoreOncePastTheInlineLimit() throws Exception {
        byte[] bytes = randomBytes(INLINE_MAX_BYTES * 40 + 3);
        HttpResponse<String> created = cluster.send(cluster.request("n1", "/v1/kv/app/chunked")
                .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes))).build());
        assertEquals(201, created.statusCode(), created.body());
        assertEquals(true, JsonTree.object(created.body()).get("blob"));
        HttpResponse<byte[]> got = getBytes(cluster.request("n2", "/v1/kv/app/chunked").GET());
        assertArrayEquals(bytes, got.body());
        assertEquals("application/octet-stream", got.headers().firstValue("Content-Type").orElseThrow());

        byte[] inline = randomBytes(INLINE_MAX_BYTES);
        HttpResponse<String> fits = cluster.send(cluster.request("n1", "/v1/kv/app/chunked")
                .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(inline))).build());
        assertEquals(200, fits.statusCode(), fits.body());
        assertEquals(false, JsonTree.object(fits.body()).get("blob"));
        assertArrayEquals(inline, getBytes(cluster.request("n2", "/v1/kv/app/chunked").GET()).body());
    }

    @Test
    void aLargeValueInAReservedNamespaceIsRefusedBeforeItsBody() throws Exception {
        try (RawHttp raw = new RawHttp(cluster.servers.get("n1").address(), FrontCluster.WAIT)) {
            raw.send("PUT /v1/kv/.blobs/k HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: "
                    + (INLINE_MAX_BYTES * 10) + "\r\n\r\n");
            RawHttp.Response refused = raw.read();
            assertEquals(400, refused.status());
            assertEquals("reserved_namespace", JsonTree.errorCode(refused.body()));
        }
    }

    // ---------------------------------------------------------------- helpers

    private HttpResponse<String> putBlob(String id, String name, byte[] bytes, String contentType) throws Exception {
        HttpRequest.Builder request = cluster.request(id, "/v1/blobs/" + name)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        return cluster.send(request.build());
    }

    private HttpResponse<byte[]> getBytes(HttpRequest.Builder request) throws Exception {
        return cluster.client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @SuppressWarnings("unchecked")
    private List<Object> listItems(String id, String namespace) throws Exception {
        HttpResponse<String> listed = cluster.get(id, "/v1/kv/" + namespace);
        assertEquals(200, listed.statusCode(), listed.body());
        return (List<Object>) JsonTree.object(listed.body()).get("items");
    }

    private byte[] randomBytes(int count) {
        byte[] bytes = new byte[count];
        random.nextBytes(bytes);
        return bytes;
    }

    private static String digestName(byte[] bytes) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Every file under the store's directory, temporary ones included. A file deleted while
     * the walk passes makes it start again.
     */
    private static Set<Path> files(BlobStore store) {
        for (int attempt = 1; ; attempt++) {
            try (Stream<Path> walk = Files.walk(store.directory())) {
                return walk.filter(Files::isRegularFile).collect(Collectors.toSet());
            } catch (IOException | UncheckedIOException e) {
                if (attempt == 10) {
                    throw new AssertionError("cannot list " + store.directory(), e);
                }
            }
        }
    }
}
