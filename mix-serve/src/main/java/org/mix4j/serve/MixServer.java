package org.mix4j.serve;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpResponseException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code mix serve}: an OpenAI-compatible HTTP server (Javalin on Jetty) over the models of a
 * {@link ServeConfig}. Routes: {@code POST /v1/chat/completions} (text and understanding models),
 * {@code POST /v1/embeddings} (retrieval), {@code POST /v1/images/generations} and
 * {@code /v1/images/edits} (generation),
 * {@code GET /v1/models}, {@code GET /v1/models/{id}}, {@code GET /health}, {@code GET /metrics}
 * and the playground page {@code GET /}. With {@code api_keys}, everything but {@code /health}
 * and the page needs {@code Authorization: Bearer KEY}. {@link #stop()} answers new requests 503
 * and waits for the running ones before closing the models.
 */
public final class MixServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MixServer.class);
    private static final Set<String> ROUTES = Set.of("/", "/v1/chat/completions", "/v1/embeddings",
            "/v1/images/generations", "/v1/images/edits", "/v1/models", "/health", "/metrics");

    private final ServeConfig config;
    private final Map<String, ModelQueue> queues = new LinkedHashMap<>();
    private final Map<String, String> tasks = new LinkedHashMap<>();
    private final ServerMetrics metrics;
    private final ModelCache cache;
    private final ChatCompletions chat;
    private final Embeddings embeddings;
    private final ImageGenerations images;
    private final Javalin app;
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicLong started = new AtomicLong();
    private volatile boolean stopping;

    /** @param loader builds a served model by name (usually {@link PipelineModels}) */
    public MixServer(ServeConfig config, ModelCache.Loader loader) {
        this.config = config;
        ServeConfig.Limits limits = config.limits();
        config.models().keySet().forEach(m -> queues.put(m, new ModelQueue(limits.concurrentPerModel(),
                limits.queuePerModel())));
        for (String m : config.models().keySet()) {
            String task;
            try {
                task = loader.task(m);
            } catch (RuntimeException e) {
                task = null; // a broken YAML is reported when the model is asked for
            }
            tasks.put(m, task);
        }
        this.metrics = new ServerMetrics(queues);
        this.cache = new ModelCache(config.models().keySet(), name -> {
            ServedModel model = loader.load(name);
            metrics.loaded(name);
            LOG.info("loaded model '{}' ({} bytes)", name, model.bytes());
            return model;
        }, config.memoryBudgetBytes(), metrics);
        ModelAccess access = new ModelAccess(queues, cache);
        ImageUrls imageUrls = new ImageUrls(config.imageSources());
        this.chat = new ChatCompletions(limits, access, metrics, imageUrls);
        this.embeddings = new Embeddings(limits, access, metrics, imageUrls);
        this.images = new ImageGenerations(limits, access, metrics, imageUrls);
        this.app = Javalin.create(c -> {
            c.showJavalinBanner = false;
            c.http.maxRequestSize = limits.maxBodyBytes();
            c.requestLogger.http((ctx, ms) -> metrics.request(route(ctx), ctx.statusCode(), ms / 1000.0));
            if (!config.corsOrigins().isEmpty()) {
                c.bundledPlugins.enableCors(cors -> cors.addRule(rule -> {
                    config.corsOrigins().forEach(rule::allowHost);
                    rule.exposeHeader("Retry-After");
                }));
            }
        });
        app.before(this::admit);
        app.post("/v1/chat/completions", ctx -> running(ctx, chat::handle));
        app.post("/v1/embeddings", ctx -> running(ctx, embeddings::handle));
        app.post("/v1/images/generations", ctx -> running(ctx, images::generations));
        app.post("/v1/images/edits", ctx -> running(ctx, images::edits));
        app.get("/", MixServer::playground);
        app.get("/v1/models", ctx -> json(ctx, models()));
        app.get("/v1/models/{id}", this::model);
        app.get("/health", this::health);
        app.get("/metrics", ctx -> ctx.contentType(ServerMetrics.contentType()).result(metrics.scrape()));
        app.exception(ApiError.class, (e, ctx) -> error(ctx, e));
        app.exception(HttpResponseException.class, (e, ctx) -> error(ctx, new ApiError(e.getStatus(),
                e.getStatus() == 413 ? "invalid_request_error" : "server_error", null, null, e.getMessage())));
        app.exception(Exception.class, (e, ctx) -> {
            ApiError api = ServerErrors.of(e);
            if (api.status() >= 500) {
                LOG.warn("request failed", e);
            }
            error(ctx, api);
        });
        app.error(404, ctx -> {
            if (ctx.attribute("mix.error") == null) {
                error(ctx, new ApiError(404, "invalid_request_error", null, "not_found", "no route " + ctx.method() + " "
                        + ctx.path() + "; this server has POST /v1/chat/completions, POST /v1/embeddings, "
                        + "POST /v1/images/generations, POST /v1/images/edits, GET /v1/models, GET /health, GET /metrics, GET / (the playground)"));
            }
        });
    }

    /** Listens on the configured host and port (0: a free port, see {@link #port()}). */
    public MixServer start() {
        app.start(config.host(), config.port());
        started.set(System.currentTimeMillis() / 1000);
        return this;
    }

    /** The port listened on. */
    public int port() {
        return app.port();
    }

    public ServerMetrics metrics() {
        return metrics;
    }

    public ModelCache cache() {
        return cache;
    }

    /** A model's admission queue (tests hold its places to fill it). */
    public ModelQueue queue(String model) {
        return queues.get(model);
    }

    /**
     * Graceful shutdown: new requests get 503, running ones may finish (up to {@code drain_seconds}),
     * then the listener stops and the models are closed.
     */
    public void stop() {
        stopping = true;
        long deadline = System.nanoTime() + config.limits().drainSeconds() * 1_000_000_000L;
        while (running.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        app.stop();
        cache.close();
    }

    @Override
    public void close() {
        stop();
    }

    private void admit(Context ctx) {
        if (ctx.method() == HandlerType.OPTIONS) {
            return; // a CORS preflight carries no key; the CORS plugin answers it (or nothing does)
        }
        if (stopping && !ctx.path().equals("/health")) {
            throw new ApiError(503, "server_error", null, "shutting_down", "the server is shutting down");
        }
        boolean open = ctx.path().equals("/health") || ctx.path().equals("/"); // the page holds no data; it asks for the key
        if (!config.apiKeys().isEmpty() && !open && !authorized(ctx.header("Authorization"))) {
            throw new ApiError(401, "invalid_request_error", null, "invalid_api_key", "a valid API key is required: "
                    + "send 'Authorization: Bearer KEY' with one of the server's api_keys");
        }
        long length = ctx.req().getContentLengthLong();
        if (length > config.limits().maxBodyBytes()) {
            throw new ApiError(413, "invalid_request_error", null, "request_too_large", "the body is " + length
                    + " bytes; this server accepts at most " + config.limits().maxBodyBytes() + " (max_body_bytes)");
        }
    }

    private boolean authorized(String header) {
        if (header == null || !header.startsWith("Bearer ")) {
            return false;
        }
        byte[] given = header.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        boolean ok = false;
        for (String key : config.apiKeys()) {
            ok |= MessageDigest.isEqual(given, key.getBytes(StandardCharsets.UTF_8)); // every key compared: no timing hint
        }
        return ok;
    }

    /** A route that runs a model: counted as running, so that a shutdown waits for it. */
    private void running(Context ctx, Handler route) throws Exception {
        running.incrementAndGet();
        try {
            if (stopping) {
                throw new ApiError(503, "server_error", null, "shutting_down", "the server is shutting down");
            }
            route.handle(ctx);
        } finally {
            running.decrementAndGet();
        }
    }

    private JsonObject models() {
        JsonArray data = new JsonArray();
        config.models().keySet().forEach(m -> data.add(model(m)));
        JsonObject list = new JsonObject();
        list.addProperty("object", "list");
        list.add("data", data);
        return list;
    }

    private JsonObject model(String name) {
        JsonObject m = new JsonObject();
        m.addProperty("id", name);
        m.addProperty("object", "model");
        m.addProperty("created", started.get());
        m.addProperty("owned_by", "mix4j");
        if (tasks.get(name) != null) {
            m.addProperty("task", tasks.get(name)); // an extension: what the model answers
        }
        if ("generation".equals(tasks.get(name))) { // extensions: what loras / controlnet may name
            JsonArray loras = new JsonArray();
            AdapterCache.names(config.loras(), ".safetensors").forEach(loras::add);
            m.add("loras", loras);
            JsonArray controlnets = new JsonArray();
            AdapterCache.names(config.controlnets(), "").forEach(controlnets::add);
            m.add("controlnets", controlnets);
        }
        return m;
    }

    private void model(Context ctx) {
        String id = ctx.pathParam("id");
        if (!config.models().containsKey(id)) {
            throw new ApiError(404, "invalid_request_error", "model", "model_not_found", "The model '" + id
                    + "' does not exist on this server; it serves " + String.join(", ", config.models().keySet()));
        }
        json(ctx, model(id));
    }

    /** The playground page: one self-contained HTML file that talks to this server's API. */
    private static void playground(Context ctx) throws IOException {
        try (InputStream in = MixServer.class.getResourceAsStream("playground.html")) {
            if (in == null) {
                throw new IllegalStateException("playground.html is missing from the mix-serve jar");
            }
            ctx.header("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; "
                    + "style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'");
            ctx.header("X-Content-Type-Options", "nosniff");
            ctx.contentType("text/html; charset=utf-8").result(in.readAllBytes());
        }
    }

    private void health(Context ctx) {
        JsonObject h = new JsonObject();
        h.addProperty("status", stopping ? "stopping" : "ok");
        JsonArray resident = new JsonArray();
        cache.resident().forEach(resident::add);
        h.add("resident_models", resident);
        h.addProperty("resident_bytes", cache.residentBytes());
        ctx.status(stopping ? 503 : 200);
        json(ctx, h);
    }

    private static void json(Context ctx, JsonObject body) {
        ctx.contentType("application/json").result(body.toString());
    }

    private static void error(Context ctx, ApiError e) {
        ctx.attribute("mix.error", Boolean.TRUE);
        ctx.status(e.status());
        json(ctx, e.body());
    }

    private static String route(Context ctx) {
        String path = ctx.path();
        return ROUTES.contains(path) ? path : path.startsWith("/v1/models/") ? "/v1/models/{id}" : "other";
    }
}
