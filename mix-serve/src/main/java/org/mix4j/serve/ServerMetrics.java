package org.mix4j.serve;

import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** The server's Prometheus metrics, in a registry of its own, written in the text format for {@code GET /metrics}. */
public final class ServerMetrics implements ModelCache.Events {

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter requests = Counter.builder().name("mix_http_requests_total")
            .help("HTTP requests by route and status").labelNames("route", "status").register(registry);
    private final Histogram latency = Histogram.builder().name("mix_http_request_duration_seconds")
            .help("Time from request to the last byte of the response").labelNames("route").classicOnly()
            .classicUpperBounds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60).register(registry);
    private final Counter tokens = Counter.builder().name("mix_generated_tokens_total")
            .help("Tokens generated, by model").labelNames("model").register(registry);
    private final Counter images = Counter.builder().name("mix_generated_images_total")
            .help("Images generated, by model").labelNames("model").register(registry);
    private final Counter embeddings = Counter.builder().name("mix_embedded_inputs_total")
            .help("Texts and images embedded, by model").labelNames("model").register(registry);
    private final Counter hits = Counter.builder().name("mix_model_cache_hits_total")
            .help("Requests that found their model resident").labelNames("model").register(registry);
    private final Counter misses = Counter.builder().name("mix_model_cache_misses_total")
            .help("Requests that found their model not resident (one load serves all that wait for it)")
            .labelNames("model").register(registry);
    private final Counter loads = Counter.builder().name("mix_model_loads_total")
            .help("Models loaded").labelNames("model").register(registry);
    private final Counter evictions = Counter.builder().name("mix_model_cache_evictions_total")
            .help("Models closed to fit the memory budget").labelNames("model").register(registry);
    private final Counter adapterHits = Counter.builder().name("mix_adapter_cache_hits_total")
            .help("Per-request LoRAs and ControlNets found loaded, by model and kind").labelNames("model", "kind")
            .register(registry);
    private final Counter adapterMisses = Counter.builder().name("mix_adapter_cache_misses_total")
            .help("Per-request LoRAs and ControlNets loaded for a request, by model and kind")
            .labelNames("model", "kind").register(registry);
    private final Gauge resident = Gauge.builder().name("mix_model_resident_bytes")
            .help("Bytes of the tensors the resident models hold").register(registry);
    private final Gauge queue = Gauge.builder().name("mix_queue_depth")
            .help("Requests waiting for a model").labelNames("model").register(registry);
    private final Map<String, ModelQueue> queues;

    /** @param queues the per-model queues whose depth is read at each scrape */
    public ServerMetrics(Map<String, ModelQueue> queues) {
        this.queues = queues;
        queues.keySet().forEach(m -> {
            queue.labelValues(m).set(0);
            tokens.labelValues(m);
            images.labelValues(m);
            embeddings.labelValues(m);
            hits.labelValues(m);
            misses.labelValues(m);
            loads.labelValues(m);
            evictions.labelValues(m);
        });
    }

    void request(String route, int status, double seconds) {
        requests.labelValues(route, Integer.toString(status)).inc();
        latency.labelValues(route).observe(seconds);
    }

    void generated(String model, int count) {
        tokens.labelValues(model).inc(count);
    }

    void painted(String model, int count) {
        images.labelValues(model).inc(count);
    }

    void embedded(String model, int count) {
        embeddings.labelValues(model).inc(count);
    }

    void adapterUsed(String model, String kind, boolean hit) {
        (hit ? adapterHits : adapterMisses).labelValues(model, kind).inc();
    }

    /** Per-request LoRA ({@code lora}) or ControlNet ({@code controlnet}) cache hits or misses of one model. */
    public long adapterCount(boolean hits, String model, String kind) {
        return (long) (hits ? adapterHits : adapterMisses).labelValues(model, kind).get();
    }

    void loaded(String model) {
        loads.labelValues(model).inc();
    }

    @Override
    public void hit(String model) {
        hits.labelValues(model).inc();
    }

    @Override
    public void miss(String model) {
        misses.labelValues(model).inc();
    }

    @Override
    public void evicted(String model, long bytes) {
        evictions.labelValues(model).inc();
    }

    @Override
    public void resident(long bytes) {
        resident.set(bytes);
    }

    /** A counter's value for one model ({@code evictions}, {@code loads}, {@code hits}, {@code misses}, {@code tokens}, {@code images}, {@code embeddings}). */
    public long count(String counter, String model) {
        Counter c = switch (counter) {
            case "evictions" -> evictions;
            case "loads" -> loads;
            case "hits" -> hits;
            case "misses" -> misses;
            case "tokens" -> tokens;
            case "images" -> images;
            case "embeddings" -> embeddings;
            default -> throw new IllegalArgumentException("no counter " + counter);
        };
        return (long) c.labelValues(model).get();
    }

    /** Every metric in the Prometheus text format (version 0.0.4). */
    public String scrape() {
        queues.forEach((m, q) -> queue.labelValues(m).set(q.depth()));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            PrometheusTextFormatWriter.create().write(out, registry.scrape(), EscapingScheme.UNDERSCORE_ESCAPING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    static String contentType() {
        return PrometheusTextFormatWriter.CONTENT_TYPE;
    }

}
