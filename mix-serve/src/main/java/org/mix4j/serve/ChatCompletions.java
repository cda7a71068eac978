package org.mix4j.serve;

import com.google.gson.JsonObject;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.mix4j.pipelines.decoding.DecodeResult;
import org.mix4j.pipelines.task.DecodingSettings;

/**
 * {@code POST /v1/chat/completions}: parse, admit (bounded queue per model), lease the model from
 * the cache, decode, answer as one JSON object or as server-sent events. A streaming client that
 * goes away stops its decoding at the next token.
 */
final class ChatCompletions {

    private final ServeConfig.Limits limits;
    private final ModelAccess access;
    private final ServerMetrics metrics;
    private final ImageUrls images;

    ChatCompletions(ServeConfig.Limits limits, ModelAccess access, ServerMetrics metrics, ImageUrls images) {
        this.images = images;
        this.limits = limits;
        this.access = access;
        this.metrics = metrics;
    }

    void handle(Context ctx) throws IOException, InterruptedException {
        ChatRequest request = ChatRequest.parse(ctx.body(), images, limits.maxPromptChars());
        if (request.maxTokens() != null && request.maxTokens() > limits.maxTokens()) {
            throw ApiError.invalid("max_tokens", "max_tokens is " + request.maxTokens() + "; this server allows at most "
                    + limits.maxTokens());
        }
        try (ModelAccess.Use use = access.enter(request.model(), ctx)) {
            ServedModel.Chat model = use.model().chat();
            if (model == null) {
                throw ModelAccess.wrongTask(request.model(), use.model(), "POST /v1/chat/completions");
            }
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
                List<DecodeResult> results = new ArrayList<>();
                for (int i = 0; i < request.n(); i++) {
                    DecodeResult r = model.complete(request.messages(), choice(settings, i), null, () -> false);
                    metrics.generated(request.model(), r.generatedTokens());
                    results.add(r);
                }
                JsonObject body = ChatResponses.completion(results, request.model(), id, created);
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

    /**
     * The settings of choice {@code i} of {@code n}: choice 0 as asked, each later one with the next
     * seed, so that sampled choices differ and a request with a seed is repeatable (greedy choices
     * are the same text).
     */
    static DecodingSettings choice(DecodingSettings s, int i) {
        return i == 0 ? s : new DecodingSettings(s.maxNewTokens(), s.temperature(), s.topK(), s.topP(),
                s.repetitionPenalty(), s.seed() + i, s.eosTokenId(), s.stop(), s.doSample());
    }

    /** The choices one after the other, each opened by a role chunk and closed by a finish chunk of its index. */
    private void stream(Context ctx, ServedModel.Chat model, ChatRequest request, DecodingSettings settings, String id,
            long created) {
        Sse sse = Sse.open(ctx);
        if (sse == null) {
            return; // the client is gone already
        }
        List<DecodeResult> results = new ArrayList<>();
        for (int i = 0; i < request.n() && !sse.gone(); i++) {
            int index = i;
            JsonObject first = ChatResponses.chunk(id, created, request.model(), index, ChatResponses.delta("assistant", ""),
                    null);
            boolean[] opened = {false};
            Runnable open = () -> { // the choice's role chunk, once, before its first text
                if (!opened[0]) {
                    opened[0] = true;
                    if (index == 0) {
                        sse.start(first);
                    } else {
                        sse.send(first);
                    }
                }
            };
            DecodeResult r;
            try {
                r = model.complete(request.messages(), choice(settings, index), (row, text) -> {
                    open.run();
                    sse.send(ChatResponses.chunk(id, created, request.model(), index, ChatResponses.delta(null, text),
                            null));
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
            open.run(); // a choice whose text was empty still opens with its role
            metrics.generated(request.model(), r.generatedTokens());
            String finish = ChatResponses.finish(r.finishReasons().get(0));
            sse.send(ChatResponses.chunk(id, created, request.model(), index, new JsonObject(), finish));
            results.add(r);
        }
        if (request.streamUsage() && !results.isEmpty()) {
            sse.send(ChatResponses.usageChunk(id, created, request.model(), results));
        }
        sse.done();
    }
}
