package io.confman.transport;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

/**
 * Exposes {@link TransportStats} as Prometheus metrics named {@code confman_transport_*}.
 * Callbacks read the counters at scrape time, so the transport's hot path pays nothing
 * for them.
 */
public final class TransportMetrics {

    private TransportMetrics() {
    }

    /** Registers every transport metric in {@code registry}, read from {@code stats}. */
    public static void register(PrometheusRegistry registry, Supplier<TransportStats> stats) {
        counter(registry, "confman_transport_messages_sent",
                "Messages written to an authenticated peer connection.",
                stats, s -> s.messagesSent());
        counter(registry, "confman_transport_messages_received",
                "Messages received from authenticated peers and handed to the node.",
                stats, s -> s.messagesReceived());
        counter(registry, "confman_transport_messages_dropped",
                "Messages dropped because a peer's outbound queue was full.",
                stats, s -> s.messagesDropped());
        counter(registry, "confman_transport_auth_failures",
                "Peer connections closed before both sides proved the cluster secret.",
                stats, s -> s.authFailures());
        counter(registry, "confman_transport_connect_failures",
                "Outbound peer connection attempts that did not connect.",
                stats, s -> s.connectFailures());
        CounterWithCallback.builder().name("confman_transport_connections_closed")
                .help("Peer connections closed on purpose, by reason.")
                .labelNames("reason")
                .callback(callback -> {
                    TransportStats now = stats.get();
                    for (CloseReason reason : CloseReason.values()) {
                        callback.call(now.closes(reason), reason.name().toLowerCase());
                    }
                })
                .register(registry);
        GaugeWithCallback.builder().name("confman_transport_links_up")
                .help("Outbound peer links authenticated now (three lanes per peer: control, snapshot, blob).")
                .callback(callback -> callback.call(stats.get().linksUp()))
                .register(registry);
    }

    private static void counter(PrometheusRegistry registry, String name, String help,
                                Supplier<TransportStats> stats,
                                ToLongFunction<TransportStats> value) {
        CounterWithCallback.builder().name(name).help(help)
                .callback(callback -> callback.call(value.applyAsLong(stats.get())))
                .register(registry);
    }
}
