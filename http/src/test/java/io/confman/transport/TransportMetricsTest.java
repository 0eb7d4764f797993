package io.confman.transport;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TransportMetricsTest {

    @Test
    void countersAreScrapedWithTheirCurrentValues() throws IOException {
        TransportCounters counters = new TransportCounters();
        counters.authFailures.add(3);
        counters.closed(CloseReason.BAD_CRC);
        counters.linksUp.add(4);
        PrometheusRegistry registry = new PrometheusRegistry();
        TransportMetrics.register(registry, counters::snapshot);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, registry.scrape());
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("confman_transport_auth_failures_total 3.0"), text);
        assertTrue(text.contains("confman_transport_connections_closed_total{reason=\"bad_crc\"} 1.0"), text);
        assertTrue(text.contains("confman_transport_links_up 4.0"), text);
    }
}
