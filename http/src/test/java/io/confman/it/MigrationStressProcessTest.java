package io.confman.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.testing.RawHttp;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The inline-to-blob migration under load (papers/MIGRATION.md): 10,000 configs of mixed
 * sizes written inline, then {@code confman migrate} runs as its own process while writers
 * keep overwriting keys; the node running it is killed ({@code kill -9}) part-way and the
 * command resumes on another. Afterwards every key holds its last acknowledged value on
 * every node, the large ones as blobs, and every node is ready. Run alone with
 * {@code -Dgroups=process}.
 */
@Tag("process")
class MigrationStressProcessTest {

    static final int KEYS = 10_000;
    static final int CLIENTS = 16;
    static final int WRITERS = 4;
    static final int MIN_SIZE = 16 * 1024;
    static final String NS = "cfg";

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path root;

    private ProcessCluster cluster;

    @AfterEach
    void killCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** A value of {@code key}'s {@code round}: one in ten is 16 to 48 KiB, the rest under 1 KiB. */
    static String value(int key, int round) {
        int size = (key + round) % 10 == 0 ? MIN_SIZE + (key * 7919 + round * 104729) % (32 * 1024)
                : 10 + (key * 31 + round) % 900;
        StringBuilder text = new StringBuilder(size).append(key).append('/').append(round).append(':');
        while (text.length() < size) {
            text.append((char) ('a' + (text.length() + key + round) % 26));
        }
        return text.toString();
    }

    /** The migration status of node {@code id}, or empty when it does not answer. */
    private Optional<String> migrationProgress(String id, String adminToken) {
        try {
            HttpResponse<String> response = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(cluster.url(id)
                            + "/v1/admin/migrations/inline-to-blob")).header("Authorization", "Bearer " + adminToken)
                            .timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? Optional.of(response.body()) : Optional.empty();
        } catch (java.io.IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** One PUT; 429 and 503 (never proposed) are retried; returns the final status. */
    private static int put(RawHttp connection, int key, String value) throws Exception {
        for (int attempt = 0; attempt < 200; attempt++) {
            int status = connection.request("PUT", "/v1/kv/" + NS + "/key-" + key, value).status();
            if (status != 429 && status != 503) {
                return status;
            }
            Thread.sleep(20);
        }
        return 503;
    }

    @Test
    void theMigrationMovesLargeValuesWhileWritesGoOnAndLosesNothing() throws Exception {
        cluster = new ProcessCluster(root, 3, List.of());
        cluster.startAll();
        cluster.awaitReady();
        String leader = cluster.awaitLeader();
        URI base = URI.create(cluster.url(leader));
        InetSocketAddress address = new InetSocketAddress(base.getHost(), base.getPort());
        // Every value a key may hold at the end: its last acknowledged one, plus any written
        // since with an unknown outcome (a 504 may or may not have been applied).
        Map<Integer, Set<String>> possible = new ConcurrentHashMap<>();
        AtomicLong next = new AtomicLong();
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        try {
            List<Future<?>> loading = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                loading.add(clients.submit(() -> {
                    try (RawHttp connection = new RawHttp(address, Duration.ofSeconds(30))) {
                        for (int key = (int) next.getAndIncrement(); key < KEYS; key = (int) next.getAndIncrement()) {
                            String value = value(key, 0);
                            assertEquals(201, put(connection, key, value), "initial write of key " + key);
                            possible.put(key, new HashSet<>(Set.of(value)));
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> future : loading) {
                future.get(5, TimeUnit.MINUTES);
            }

            // Writers overwrite keys (each its own keys, so "last acknowledged" is well defined)
            // while the migration runs.
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicLong overwrites = new AtomicLong();
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                int writer = w;
                writers.add(clients.submit(() -> {
                    try (RawHttp connection = new RawHttp(address, Duration.ofSeconds(30))) {
                        for (int round = 1; writing.get(); round++) {
                            for (int key = writer; key < KEYS && writing.get(); key += WRITERS * 37) {
                                String value = value(key, round);
                                int status = put(connection, key, value);
                                if (status == 200) {
                                    possible.put(key, new HashSet<>(Set.of(value)));
                                    overwrites.incrementAndGet();
                                } else {
                                    assertEquals(504, status, "an overwrite of key " + key);
                                    possible.get(key).add(value);
                                }
                            }
                        }
                    }
                    return null;
                }));
            }

            // The migration starts on a follower (the writers use the leader), which is killed
            // part-way: confman migrate must resume the run on the next node.
            List<String> followers = cluster.ids().stream().filter(id -> !id.equals(leader)).toList();
            String runner = followers.get(0);
            List<String> urls = List.of(cluster.url(runner), cluster.url(followers.get(1)), cluster.url(leader));
            List<String> command = new ArrayList<>(ProcessCluster.javaCommand());
            command.addAll(List.of("io.confman.cli.Main", "migrate", "--url", String.join(",", urls),
                    "--admin-token-file", cluster.adminTokenFile().toString(), "--min-size",
                    Integer.toString(MIN_SIZE), "--poll-ms", "200", "--timeout-s", "300"));
            Path out = root.resolve("migrate.out");
            Path err = root.resolve("migrate.err");
            Process migrate = ProcessCluster.track(new ProcessBuilder(command).redirectOutput(out.toFile())
                    .redirectError(err.toFile()).start());
            String adminToken = Files.readString(cluster.adminTokenFile()).strip();
            cluster.await("the first run moved some values", () -> {
                Optional<String> progress = migrationProgress(runner, adminToken);
                return progress.isPresent() && ProcessCluster.jsonLong(progress.get(), "migrated") >= 100;
            });
            cluster.kill(runner);
            cluster.start(runner);
            boolean exited = migrate.waitFor(6, TimeUnit.MINUTES);
            ProcessCluster.untrack(migrate);
            if (!exited) {
                migrate.destroyForcibly();
            }
            writing.set(false);
            for (Future<?> future : writers) {
                future.get(2, TimeUnit.MINUTES);
            }
            assertTrue(exited, "confman migrate finished");
            assertEquals(0, migrate.exitValue(), "confman migrate: " + Files.readString(err));
            String finalStatus = Files.readString(out).strip();
            String[] lines = finalStatus.split("\n");
            String status = lines[lines.length - 1];
            assertEquals("done", ProcessCluster.jsonString(status, "state"), status);
            long migrated = ProcessCluster.jsonLong(status, "migrated");
            assertTrue(migrated >= KEYS / 20, "most large values moved: " + status);
            assertTrue(overwrites.get() > 0, "writes went on during the migration");
            assertTrue(Files.readString(err).contains("run 2 on"), "the migration resumed after its node was killed: "
                    + Files.readString(err));
            System.out.printf("migration stress: %d keys, %d overwrites during the run; %s%n", KEYS,
                    overwrites.get(), status);
        } finally {
            clients.shutdownNow();
        }

        cluster.awaitReady();
        for (String id : cluster.ids()) {
            URI url = URI.create(cluster.url(id));
            long blobs = 0;
            try (RawHttp connection = new RawHttp(new InetSocketAddress(url.getHost(), url.getPort()),
                    Duration.ofSeconds(30))) {
                for (int key = 0; key < KEYS; key++) {
                    RawHttp.Response got = connection.request("GET", "/v1/kv/" + NS + "/key-" + key, "");
                    assertEquals(200, got.status(), id + " key " + key);
                    assertTrue(possible.get(key).contains(got.body()), id + ": key " + key + " holds "
                            + got.body().length() + " bytes starting '" + got.body().substring(0,
                            Math.min(20, got.body().length())) + "', not a value written last");
                }
                String after = null;
                do { // Pages of 1,000, the most a listing returns.
                    RawHttp.Response list = connection.request("GET", "/v1/kv/" + NS + "?limit=1000"
                            + (after == null ? "" : "&after=" + after), "");
                    assertEquals(200, list.status(), list.body());
                    blobs += list.body().split("\"blob\":true", -1).length - 1;
                    after = ProcessCluster.jsonString(list.body(), "next_after");
                } while (after != null && !after.isEmpty() && !after.equals("null"));
            }
            assertTrue(blobs >= KEYS / 20, id + " lists the moved values as blobs: " + blobs);
        }
    }
}
