package org.mix4j.serve;

import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import org.mix4j.image.ImageDecoder;
import org.mix4j.pipelines.decoding.DecodeResult;
import org.mix4j.pipelines.decoding.DecodeResult.FinishReason;
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
                ctx.contentType("application/json").result(completion(r, request.model(), id, created).toString());
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
        JsonObject first = chunk(id, created, request.model(), delta("assistant", ""), null);
        DecodeResult r;
        try {
            r = model.complete(request.messages(), settings, (row, text) -> {
                sse.start(first);
                sse.send(chunk(id, created, request.model(), delta(null, text), null));
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
        sse.send(chunk(id, created, request.model(), new JsonObject(), finish(r.finishReasons().get(0))));
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

    static JsonObject completion(DecodeResult r, String model, String id, long created) {
        JsonObject message = new JsonObject();
        message.addProperty("role", "assistant");
        message.addProperty("content", r.texts().get(0));
        JsonObject choice = new JsonObject();
        choice.addProperty("index", 0);
        choice.add("message", message);
        choice.add("logprobs", JsonNull.INSTANCE);
        choice.addProperty("finish_reason", finish(r.finishReasons().get(0)));
        JsonArray choices = new JsonArray();
        choices.add(choice);
        JsonObject usage = new JsonObject();
        usage.addProperty("prompt_tokens", r.promptTokens());
        usage.addProperty("completion_tokens", r.generatedTokens());
        usage.addProperty("total_tokens", r.promptTokens() + r.generatedTokens());
        JsonObject body = new JsonObject();
        body.addProperty("id", id);
        body.addProperty("object", "chat.completion");
        body.addProperty("created", created);
        body.addProperty("model", model);
        body.add("choices", choices);
        body.add("usage", usage);
        return body;
    }

    private static JsonObject chunk(String id, long created, String model, JsonObject delta, String finish) {
        JsonObject choice = new JsonObject();
        choice.addProperty("index", 0);
        choice.add("delta", delta);
        choice.add("logprobs", JsonNull.INSTANCE);
        choice.add("finish_reason", finish == null ? JsonNull.INSTANCE : new com.google.gson.JsonPrimitive(finish));
        JsonArray choices = new JsonArray();
        choices.add(choice);
        JsonObject body = new JsonObject();
        body.addProperty("id", id);
        body.addProperty("object", "chat.completion.chunk");
        body.addProperty("created", created);
        body.addProperty("model", model);
        body.add("choices", choices);
        return body;
    }

    private static JsonObject delta(String role, String content) {
        JsonObject d = new JsonObject();
        if (role != null) {
            d.addProperty("role", role);
        }
        d.addProperty("content", content);
        return d;
    }

    /** OpenAI's finish reasons: the token limit is "length"; a stop id or string (or a cancel) is "stop". */
    static String finish(FinishReason reason) {
        return reason == FinishReason.LENGTH ? "length" : "stop";
    }
}
