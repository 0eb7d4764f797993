package io.confman.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.cli.FreePorts;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Blobs through real node processes (NODE.md, "Blobs"): a large blob streamed through nodes
 * whose heap is far smaller than it, and crashes ({@code kill -9}) during an upload and
 * during a blob's replication. Run these alone with {@code -Dgroups=process}; the size of
 * the large blob is {@code -Dblob.bigBytes} (1 GiB by default).
 */
@Tag("process")
class BlobProcessTest {

    private static final long BIG_BYTES = Long.getLong("blob.bigBytes", 1L << 30);
    private static final int WRITE_CHUNK = 1 << 20;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS) // A failed run keeps its node logs.
    Path root;

    private ProcessCluster cluster;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .version(HttpClient.Version.HTTP_1_1).build();

    @AfterEach
    void killCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Three nodes with {@code heap} as their heap flag, ready. */
    private void startCluster(String heap) throws Exception {
        cluster = new ProcessCluster(root, 3, List.of());
        cluster.nodeHeap = heap;
        cluster.startAll();
        cluster.awaitReady();
    }

    /** Writes {@code size} pseudo-random bytes to {@code file} and returns their SHA-256 in hex. */
    private static String writeFile(Path file, long size, long seed) throws Exception {
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        byte[] block = new byte[WRITE_CHUNK];
        new Random(seed).nextBytes(block);
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (long written = 0, chunk = 0; written < size; chunk++) {
                ByteBuffer.wrap(block).putLong(0, chunk); // No two chunks alike.
                int length = (int) Math.min(block.length, size - written);
                sha256.update(block, 0, length);
                ByteBuffer buffer = ByteBuffer.wrap(block, 0, length);
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
                written += length;
            }
        }
        return HexFormat.of().formatHex(sha256.digest());
    }

    private HttpResponse<String> upload(String id, String hex, Path file) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(cluster.url(id) + "/v1/blobs/sha256:" + hex))
                        .timeout(Duration.ofMinutes(5)).PUT(HttpRequest.BodyPublishers.ofFile(file)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Streams a download through SHA-256; returns the hex digest and the byte count. */
    private String[] download(String id, String hex) throws Exception {
        HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(
                        URI.create(cluster.url(id) + "/v1/blobs/sha256:" + hex)).timeout(Duration.ofMinutes(5)).GET()
                .build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, response.statusCode(), "download from " + id);
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        long count = 0;
        try (InputStream in = response.body()) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                sha256.update(buffer, 0, n);
                count += n;
            }
        }
        return new String[] {HexFormat.of().formatHex(sha256.digest()), Long.toString(count)};
    }

    private static Path blobDir(ProcessCluster cluster, String id) {
        return cluster.node(id).dataDir.resolve("blobs");
    }

    /** Files of the blob store that are not published blobs: uploads in progress or left by a crash. */
    private static List<Path> temporaryFiles(Path blobDir) throws IOException {
        Path tmp = blobDir.resolve("tmp");
        if (!Files.isDirectory(tmp)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(tmp)) {
            return files.toList();
        }
    }

    /** Published blob files (storage/FORMAT.md section 9: DIR/sha256/HEX). */
    private static long publishedFiles(Path blobDir) throws IOException {
        Path published = blobDir.resolve("sha256");
        if (!Files.isDirectory(published)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(published)) {
            return files.count();
        }
    }

    private static long peakRssKib(Process process) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    /** curl's download rate of {@code url} into /dev/null, in bytes per second. */
    private static double curlRate(String url) throws Exception {
        Process curl = new ProcessBuilder("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{speed_download}",
                url).redirectErrorStream(true).start();
        String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(curl.waitFor(5, TimeUnit.MINUTES), "curl finished");
        String[] parts = out.split(" ");
        assertEquals("200", parts[0], "curl " + url + ": " + out);
        return Double.parseDouble(parts[1]);
    }

    @Test
    void aBlobFarLargerThanTheHeapStreamsInAndOutWithTheSameDigest() throws Exception {
        startCluster("-Xmx128m");
        Path file = root.resolve("big.bin");
        long began = System.nanoTime();
        String hex = writeFile(file, BIG_BYTES, 42);
        System.out.printf("blob test: wrote %d bytes in %.1f s%n", BIG_BYTES, (System.nanoTime() - began) / 1e9);

        began = System.nanoTime();
        HttpResponse<String> put = upload("n1", hex, file);
        double uploadSeconds = (System.nanoTime() - began) / 1e9;
        assertEquals(201, put.statusCode(), put.body());
        assertEquals(200, upload("n1", hex, file).statusCode(), "a second upload of the same blob finds it present");

        cluster.await("n2 holds the blob", () -> {
            try {
                return http.send(HttpRequest.newBuilder(URI.create(cluster.url("n2") + "/v1/blobs/sha256:" + hex))
                        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
            } catch (IOException | InterruptedException e) {
                return false;
            }
        });
        began = System.nanoTime();
        String[] downloaded = download("n2", hex);
        double downloadSeconds = (System.nanoTime() - began) / 1e9;
        assertEquals(hex, downloaded[0], "the digest of what n2 sent");
        assertEquals(Long.toString(BIG_BYTES), downloaded[1]);

        double confmanRate = curlRate(cluster.url("n2") + "/v1/blobs/sha256:" + hex);
        double fileServerRate = plainFileServerRate(file);
        for (String id : cluster.ids()) {
            assertTrue(cluster.alive(id), id + " is running");
            assertFalse(cluster.log(id).contains("OutOfMemoryError"), id + " ran out of memory: " + cluster.tail(id));
        }
        System.out.printf("blob test: %d bytes; upload to n1 (replicated to a majority) %.1f s = %.0f MiB/s; "
                        + "download from n2 (Java client, hashed) %.1f s; curl from n2 %.0f MiB/s; "
                        + "curl from a plain file server %s; peak RSS n1 %d MiB, n2 %d MiB, n3 %d MiB (-Xmx128m)%n",
                BIG_BYTES, uploadSeconds, BIG_BYTES / uploadSeconds / (1 << 20), downloadSeconds,
                confmanRate / (1 << 20),
                fileServerRate < 0 ? "not measured (no python3)" : String.format("%.0f MiB/s", fileServerRate / (1 << 20)),
                peakRssKib(cluster.node("n1").process) / 1024, peakRssKib(cluster.node("n2").process) / 1024,
                peakRssKib(cluster.node("n3").process) / 1024);
        Files.delete(file);
    }

    /** curl's rate from {@code python3 -m http.server} serving {@code file}'s directory; -1 without python3. */
    private double plainFileServerRate(Path file) throws Exception {
        int port = FreePorts.pick();
        Process server;
        try {
            server = ProcessCluster.track(new ProcessBuilder("python3", "-m", "http.server", "--bind", "127.0.0.1",
                    Integer.toString(port), "--directory", file.getParent().toString())
                    .redirectErrorStream(true).redirectOutput(root.resolve("file-server.log").toFile()).start());
        } catch (IOException noPython) {
            return -1;
        }
        try {
            cluster.await("the file server listens", () -> {
                try (Socket socket = new Socket("127.0.0.1", port)) {
                    return true;
                } catch (IOException e) {
                    return false;
                }
            });
            return curlRate("http://127.0.0.1:" + port + "/" + file.getFileName());
        } finally {
            ProcessCluster.stopProcess(server);
            ProcessCluster.untrack(server);
        }
    }

    @Test
    void aNodeKilledDuringAnUploadShowsNoPartialBlobAfterRestart() throws Exception {
        startCluster(ProcessCluster.NODE_HEAP);
        Path file = root.resolve("partial.bin");
        long size = 64L << 20;
        String hex = writeFile(file, size, 7);
        try (Socket socket = new Socket("127.0.0.1", cluster.node("n1").httpPort)) {
            OutputStream out = socket.getOutputStream();
            out.write(("PUT /v1/blobs/sha256:" + hex + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + size
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            try (InputStream in = Files.newInputStream(file)) {
                byte[] half = in.readNBytes((int) (size / 2));
                out.write(half);
                out.flush();
            }
            Path blobs = blobDir(cluster, "n1");
            cluster.await("n1 is writing the upload", () -> {
                try {
                    return !temporaryFiles(blobs).isEmpty();
                } catch (IOException e) {
                    return false;
                }
            });
            cluster.kill("n1");
        }
        cluster.start("n1");
        cluster.awaitReady();
        assertEquals(List.of(), temporaryFiles(blobDir(cluster, "n1")), "the interrupted upload left nothing");
        assertEquals(0, publishedFiles(blobDir(cluster, "n1")), "no blob was published");
        for (String id : cluster.ids()) {
            HttpResponse<String> get = http.send(HttpRequest.newBuilder(URI.create(cluster.url(id)
                    + "/v1/blobs/sha256:" + hex)).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(404, get.statusCode(), id + ": " + get.body());
        }
        // The same upload, whole this time, is acknowledged and readable everywhere.
        assertEquals(201, upload("n1", hex, file).statusCode());
        for (String id : cluster.ids()) {
            assertEquals(hex, download(id, hex)[0], id);
        }
    }

    @Test
    void anAcknowledgedBlobSurvivesKillsDuringAndAfterItsReplication() throws Exception {
        startCluster(ProcessCluster.NODE_HEAP);
        Path file = root.resolve("replicated.bin");
        long size = 256L << 20;
        String hex = writeFile(file, size, 9);
        // n2 is killed while it receives the blob from n1; n3 alone completes the majority.
        Path n2Blobs = blobDir(cluster, "n2");
        List<Path> interrupted = new java.util.concurrent.CopyOnWriteArrayList<>();
        Thread killer = new Thread(() -> {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            try {
                // A tight poll: the transfer takes about a second on loopback.
                while (temporaryFiles(n2Blobs).isEmpty() && System.nanoTime() < deadline) {
                    Thread.sleep(2);
                }
                cluster.kill("n2");
                interrupted.addAll(temporaryFiles(n2Blobs));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "killer");
        killer.start();
        HttpResponse<String> put = upload("n1", hex, file);
        killer.join(TimeUnit.MINUTES.toMillis(2));
        assertFalse(cluster.alive("n2"), "n2 was killed during the replication");
        assertFalse(interrupted.isEmpty(), "n2 was killed while it held a partial blob");
        assertEquals(201, put.statusCode(), put.body());

        cluster.start("n2");
        cluster.awaitReady();
        for (Path partial : interrupted) {
            assertFalse(Files.exists(partial), "n2 removed the partial blob the kill left: " + partial);
        }
        // The acknowledged blob is on a majority; now the node that took the upload dies too.
        cluster.kill("n1");
        cluster.awaitLeader();
        for (String id : List.of("n2", "n3")) {
            String[] downloaded = download(id, hex);
            assertEquals(hex, downloaded[0], id + " serves the whole, verified blob");
        }
        cluster.start("n1");
        cluster.awaitReady();
        assertEquals(hex, download("n1", hex)[0]);
    }
}
