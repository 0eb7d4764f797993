package io.confman.bench.load;

import java.util.Locale;

/**
 * Which HTTP API the driver speaks: Confman's own, or etcd's v3 JSON gateway, so that both
 * systems are measured by the same driver with the same workloads, keys, values and
 * latency recording, and a difference in the figures is a difference of the servers.
 */
enum Api {
    /** {@code PUT} and {@code GET /v1/kv/{ns}/{key}}, {@code If-Match} with the ETag. */
    CONFMAN,
    /**
     * etcd's gRPC-gateway ({@code POST /v3/kv/put}, {@code /v3/kv/range}, {@code /v3/kv/txn}),
     * keys and values in base64 inside JSON. A read is linearizable unless {@code --stale}
     * asks for etcd's {@code serializable} read; a compare-and-set is a transaction on the
     * key's {@code mod_revision}, which plays the ETag's part.
     */
    ETCD;

    /**
     * The largest value the etcd API takes: etcd refuses a request over 1.5 MiB
     * ({@code --max-request-bytes}), and the gateway carries a value in base64 (4 bytes for
     * 3), so 1 MiB of value is about 1.33 MiB of request.
     */
    static final long ETCD_VALUE_BYTES_MAX = 1024 * 1024;

    String flagName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
