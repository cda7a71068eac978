package org.mix4j.serve;

import com.google.gson.JsonObject;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import org.mix4j.image.ImageDecoder;
import org.mix4j.pipelines.decoding.DecodeResult;
import org.mix4j.pipelines.task.DecodingSettings;

/**
 * {@code POST /v1/chat/completions}: parse, admit (bounded queue per model), lease the model from
 * the cache, decode, answer as one JSON object or as server-sent events. A streaming client that
 * goes away stops its decoding at the next token.
 */
final class ChatCompletions {

    private final ServeConfig.Limits limits;
    private final Map<String, ModelQueue> queues;
    private final ModelCache cache;
    private final ServerMetrics metrics;
    private final ImageDecoder images = new ImageDecoder();

    ChatCompletions(ServeConfig.Limits limits, Map<String, ModelQueue> queues, ModelCache cache, ServerMetrics metrics) {
        this.limits = limits;
        this.queues = queues;
        this.cache = cache;
        this.metrics = metrics;
    }

    void handle(Context ctx) throws IOException, InterruptedException {
        ChatRequest request = ChatRequest.parse(ctx.body(), images, limits.maxPromptChars());
        ModelQueue queue = queues.get(request.model());
        if (queue == null) {
            throw new ApiError(404, "invalid_request_error", "model", "model_not_found", "The model '" + request.model()
                    + "' does not exist on this server; it serves " + String.join(", ", queues.keySet()));
        }
        if (request.maxTokens() != null && request.maxTokens() > limits.maxTokens()) {
            throw ApiError.invalid("max_tokens", "max_tokens is " + request.maxTokens() + "; this server allows at most "
                    + limits.maxTokens());
        }
        ModelQueue.Ticket ticket;
        try {
            ticket = queue.enter();
        } catch (ModelQueue.Full e) {
            ctx.header("Retry-After", "1");
            throw new ApiError(429, "rate_limit_exceeded", null, "rate_limit_exceeded", "The model '" + request.model()
                    + "' is busy (" + e.getMessage() + "); retry later");
        }
        try (ticket; ModelCache.Lease lease = cache.acquire(request.model())) {
            ServedModel model = lease.model();
            if (!model.acceptsImages() && request.firstImagePart() != null) {
                throw ApiError.invalid(request.firstImagePart(), request.firstImagePart() + ": the model '"
                        + request.model() + "' is a text model (task: text) and takes no images");
            }
            DecodingSettings settings = settings(model.defaults(), request);
            String id = "chatcmpl-" + UUID.randomUUID().toString().replace("-", "");
            long created = System.currentTimeMillis() / 1000;
            if (request.stream()) {
                stream(ctx, model, request, settings, id, created);
            } else {
                DecodeResult r = model.complete(request.messages(), settings, null, () -> false);
                metrics.generated(request.model(), r.generatedTokens());
                JsonObject body = ChatResponses.completion(r, request.model(), id, created);
                ctx.contentType("application/json").result(body.toString());
            }
        }
    }

    /** The pipeline's generation settings with the request's fields over them. */
    DecodingSettings settings(DecodingSettings d, ChatRequest r) {
        int maxNew = r.maxTokens() != null ? r.maxTokens() : Math.min(d.maxNewTokens(), limits.maxTokens());
        double temperature = r.temperature() != null ? r.temperature() : d.temperature();
        Boolean sample = r.temperature() != null ? Boolean.valueOf(r.temperature() > 0) : d.doSample();
        return new DecodingSettings(maxNew, temperature, d.topK(), r.topP() != null ? r.topP() : d.topP(),
                d.repetitionPenalty(), r.seed() != null ? r.seed() : d.seed(), d.eosTokenId(),
                r.stop() != null ? r.stop() : d.stop(), sample);
    }

    private void stream(Context ctx, ServedModel model, ChatRequest request, DecodingSettings settings, String id,
            long created) {
        Sse sse;
        try {
            sse = new Sse(ctx.res().getOutputStream());
        } catch (IOException e) {
            return; // the client is gone already
        }
        ctx.status(200);
        ctx.res().setContentType("text/event-stream; charset=utf-8");
        ctx.res().setHeader("Cache-Control", "no-cache");
        JsonObject first = ChatResponses.chunk(id, created, request.model(), ChatResponses.delta("assistant", ""), null);
        DecodeResult r;
        try {
            r = model.complete(request.messages(), settings, (row, text) -> {
                sse.start(first);
                sse.send(ChatResponses.chunk(id, created, request.model(), ChatResponses.delta(null, text), null));
            }, sse::gone);
        } catch (RuntimeException e) {
            if (!sse.started()) {
                throw e; // nothing sent yet (a prompt longer than the context): an ordinary error response
            }
            // the status line is sent: report in the stream, as OpenAI does
            sse.send(ServerErrors.of(e).body());
            sse.done();
            return;
        }
        sse.start(first);
        metrics.generated(request.model(), r.generatedTokens());
        String finish = ChatResponses.finish(r.finishReasons().get(0));
        sse.send(ChatResponses.chunk(id, created, request.model(), new JsonObject(), finish));
        if (request.streamUsage()) {
            sse.send(ChatResponses.usageChunk(id, created, request.model(), r));
        }
        sse.done();
    }

    /**
     * Server-sent events on the response; a failed write marks the client as gone. Nothing is written
     * before {@link #start}, so an error found before the first token is still an ordinary response.
     */
    private static final class Sse {
        private final OutputStream out;
        private volatile boolean gone;
        private boolean started;

        Sse(OutputStream out) {
            this.out = out;
        }

        /** Sends {@code first} unless the stream has started. */
        void start(JsonObject first) {
            if (!started) {
                started = true;
                send(first);
            }
        }

        boolean started() {
            return started;
        }

        void send(JsonObject data) {
            write("data: " + data + "\n\n");
        }

        void done() {
            write("data: [DONE]\n\n");
        }

        boolean gone() {
            return gone;
        }

        private void write(String event) {
            if (gone) {
                return;
            }
            try {
                out.write(event.getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (IOException e) {
                gone = true;
            }
        }
    }
}
