package io.confman.http;

import io.confman.node.ConfmanNode;
import io.confman.node.NodeStatus;
import io.confman.transport.TransportMetrics;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.ToLongFunction;

/**
 * The metrics of one node and its HTTP front, in a registry this server owns (several nodes
 * share a test JVM, so the default registry would mix them). Node values are read by
 * callbacks at scrape time from {@code node.status()}, which never blocks; durations arrive
 * through the node's recorders as they happen.
 */
final class HttpMetrics {

    /**
     * Classic buckets in seconds, covering what CONTRACT.md asks for (0.001 ... 1) with room on
     * both sides: an fsync under a millisecond and a snapshot of several seconds both land in
     * a bucket of their own.
     */
    static final double[] DURATION_BUCKETS_SECONDS =
            {.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5};
    private static final double NANOS_PER_SECOND = 1e9;

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    private final Counter requests;
    private final Histogram requestDurations;
    private final Counter blobUploadBytes;
    private final Counter blobDownloadBytes;

    HttpMetrics(ConfmanNode node) {
        registerNode(node);
        Histogram fsync = durations("confman_disk_wal_fsync_duration_seconds",
                "Durations of persisting a Raft Ready that had to sync (the WAL fsync path).");
        node.persistDurations().subscribe(nanos -> fsync.observe(nanos / NANOS_PER_SECOND));
        Histogram snapshots = durations("confman_snapshot_save_duration_seconds",
                "Durations of saving a snapshot of the store.");
        node.snapshotDurations().subscribe(nanos -> snapshots.observe(nanos / NANOS_PER_SECOND));
        TransportMetrics.register(registry, node::transportStats);
        BlobMetrics.register(registry, node);
        requests = Counter.builder().name("confman_http_requests_total")
                .help("HTTP requests answered, by route, method and status code.")
                .labelNames("route", "method", "code")
                .register(registry);
        requestDurations = Histogram.builder().name("confman_http_request_duration_seconds")
                .help("Time from a request's last byte to its response being handed to the socket, by route.")
                .labelNames("route")
                .classicOnly()
                .classicUpperBounds(DURATION_BUCKETS_SECONDS)
                .register(registry);
        blobUploadBytes = Counter.builder().name("confman_http_blob_upload_bytes_total")
                .help("Request body bytes streamed into the blob store, by route (kv_put, blob_put).")
                .labelNames("route")
                .register(registry);
        blobDownloadBytes = Counter.builder().name("confman_http_blob_download_bytes_total")
                .help("Blob bytes sent in response bodies that were written whole, by route (kv_get, blob_get).")
                .labelNames("route")
                .register(registry);
    }

    private void registerNode(ConfmanNode node) {
        GaugeWithCallback.builder().name("confman_server_has_leader")
                .help("1 when this node knows a leader, else 0.")
                .callback(callback -> callback.call(node.status().leaderId() == null ? 0 : 1))
                .register(registry);
        CounterWithCallback.builder().name("confman_server_leader_changes_seen_total")
                .help("How many times this node saw a new leader.")
                .callback(callback -> callback.call(node.leaderChangesSeen()))
                .register(registry);
        CounterWithCallback.builder().name("confman_raft_elections_started_total")
                .help("How many elections this node started as a candidate, after winning a pre-vote.")
                .callback(callback -> callback.call(node.electionsStarted()))
                .register(registry);
        GaugeWithCallback.builder().name("confman_live_watchers")
                .help("Open live view event streams (GET /v1/events) on this node.")
                .callback(callback -> callback.call(node.liveView().watcherCount()))
                .register(registry);
        gauge(node, "confman_raft_term", "The current Raft term.", NodeStatus::term);
        gauge(node, "confman_raft_commit_index", "The highest log index known committed.", NodeStatus::commitIndex);
        gauge(node, "confman_raft_applied_index", "The highest log index applied to the store.",
                NodeStatus::appliedIndex);
        gauge(node, "confman_raft_last_log_index", "The index of the last entry in the log.", NodeStatus::lastIndex);
        gauge(node, "confman_raft_snapshot_index", "The last index included in the latest snapshot.",
                NodeStatus::snapshotIndex);
    }

    private void gauge(ConfmanNode node, String name, String help, ToLongFunction<NodeStatus> value) {
        GaugeWithCallback.builder().name(name).help(help)
                .callback(callback -> callback.call(value.applyAsLong(node.status())))
                .register(registry);
    }

    private Histogram durations(String name, String help) {
        return Histogram.builder().name(name).help(help)
                .classicOnly()
                .classicUpperBounds(DURATION_BUCKETS_SECONDS)
                .register(registry);
    }

    void requestAnswered(String route, String method, int code, long nanos) {
        requests.labelValues(route, method, Integer.toString(code)).inc();
        requestDurations.labelValues(route).observe(nanos / NANOS_PER_SECOND);
    }

    /** The upload counter of {@code route}, looked up once per upload rather than once per chunk. */
    CounterDataPoint blobUploadBytes(String route) {
        return blobUploadBytes.labelValues(route);
    }

    void blobDownloaded(String route, long bytes) {
        blobDownloadBytes.labelValues(route).inc(bytes);
    }

    String contentType() {
        return writer.getContentType();
    }

    /** The Prometheus text exposition of every metric. */
    byte[] scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
        try {
            writer.write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException("writing metrics to memory", e);
        }
        return out.toByteArray();
    }
}
