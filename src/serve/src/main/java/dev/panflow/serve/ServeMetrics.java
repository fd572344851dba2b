package dev.panflow.serve;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The server's Prometheus metrics, in a registry of its own (several servers may share a JVM, as in tests). */
final class ServeMetrics {
    final PrometheusRegistry registry = new PrometheusRegistry();
    final Counter requests = Counter.builder().name("panflow_requests_total").help("HTTP requests by endpoint and status")
            .labelNames("endpoint", "status").register(registry);
    final Histogram latency = Histogram.builder().name("panflow_request_duration_seconds").help("request latency by endpoint")
            .labelNames("endpoint").classicUpperBounds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
            .register(registry);
    final Gauge queueDepth = Gauge.builder().name("panflow_queue_depth").help("sampling requests waiting for a solver batch")
            .register(registry);
    final Histogram batchPoints = Histogram.builder().name("panflow_batch_points").help("points per solver batch")
            .classicUpperBounds(1, 4, 16, 64, 256, 1024, 4096, 16384, 65536).register(registry);
    final Histogram batchRequests = Histogram.builder().name("panflow_batch_requests").help("requests merged into one solver batch")
            .classicUpperBounds(1, 2, 4, 8, 16, 32, 64, 128, 256).register(registry);
    final Counter points = Counter.builder().name("panflow_points_total").help("points sampled or evaluated (rate() gives points per second)")
            .labelNames("endpoint").register(registry);
    final Counter clientGone = Counter.builder().name("panflow_client_gone_total")
            .help("sampling requests dropped unsolved because their client disconnected while they were queued").register(registry);
    final Counter reloads = Counter.builder().name("panflow_reloads_total").help("checkpoint reloads by outcome")
            .labelNames("outcome").register(registry);

    /** The Prometheus text exposition of every metric. */
    byte[] scrape() {
        var out = new ByteArrayOutputStream();
        try {
            PrometheusTextFormatWriter.create().write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
