package io.confman.http;

import io.confman.node.ConfmanNode;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/** The blob store's and the inline-to-blob migration's metrics, read from the node at scrape time. */
final class BlobMetrics {

    private BlobMetrics() {
    }

    static void register(PrometheusRegistry registry, ConfmanNode node) {
        GaugeWithCallback.builder().name("confman_blob_store_blobs")
                .help("Blobs this node's blob store holds.")
                .callback(callback -> callback.call(node.blobs().store().count()))
                .register(registry);
        GaugeWithCallback.builder().name("confman_blob_store_bytes")
                .help("Bytes of the blobs this node's blob store holds.")
                .callback(callback -> callback.call(node.blobs().store().bytes()))
                .register(registry);
        CounterWithCallback.builder().name("confman_blob_received_total")
                .help("Blobs received from peers (pushed or fetched) and published here.")
                .callback(callback -> callback.call(node.blobs().receivedCount()))
                .register(registry);
        CounterWithCallback.builder().name("confman_blob_pushed_total")
                .help("Blobs this node finished pushing to a peer.")
                .callback(callback -> callback.call(node.blobs().pushedCount()))
                .register(registry);
        CounterWithCallback.builder().name("confman_blob_collected_total")
                .help("Unreferenced blobs deleted by this node's collector.")
                .callback(callback -> callback.call(node.blobs().collectedCount()))
                .register(registry);
        GaugeWithCallback.builder().name("confman_migration_running")
                .help("1 while an inline-to-blob migration runs on this node, else 0.")
                .callback(callback -> callback.call(node.migration().running() ? 1 : 0))
                .register(registry);
        CounterWithCallback.builder().name("confman_migration_keys_total")
                .help("Keys the inline-to-blob migration moved into blobs on this node.")
                .callback(callback -> callback.call(node.migration().migratedKeysTotal()))
                .register(registry);
        CounterWithCallback.builder().name("confman_migration_bytes_total")
                .help("Bytes the inline-to-blob migration moved into blobs on this node.")
                .callback(callback -> callback.call(node.migration().migratedBytesTotal()))
                .register(registry);
    }
}
