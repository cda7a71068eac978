package org.mix4j.serve;

import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import org.mix4j.pipelines.decoding.DecodeResult;
import org.mix4j.pipelines.decoding.DecodeResult.FinishReason;

/** OpenAI's chat-completion objects: the whole answer ({@code chat.completion}) and its stream's chunks. */
final class ChatResponses {

    private ChatResponses() {}

    /** The answer of one generation per choice, in {@code index} order. */
    static JsonObject completion(java.util.List<DecodeResult> results, String model, String id, long created) {
        JsonArray choices = new JsonArray();
        for (int i = 0; i < results.size(); i++) {
            DecodeResult r = results.get(i);
            JsonObject message = new JsonObject();
            message.addProperty("role", "assistant");
            message.addProperty("content", r.texts().get(0));
            JsonObject choice = new JsonObject();
            choice.addProperty("index", i);
            choice.add("message", message);
            choice.add("logprobs", JsonNull.INSTANCE);
            choice.addProperty("finish_reason", finish(r.finishReasons().get(0)));
            choices.add(choice);
        }
        JsonObject body = new JsonObject();
        body.addProperty("id", id);
        body.addProperty("object", "chat.completion");
        body.addProperty("created", created);
        body.addProperty("model", model);
        body.add("choices", choices);
        body.add("usage", usage(results));
        return body;
    }

    /**
     * OpenAI's usage: the prompt's tokens (image tokens included), counted once however many choices,
     * and the generated ones of all choices.
     */
    static JsonObject usage(java.util.List<DecodeResult> results) {
        int prompt = results.get(0).promptTokens();
        int generated = results.stream().mapToInt(DecodeResult::generatedTokens).sum();
        JsonObject usage = new JsonObject();
        usage.addProperty("prompt_tokens", prompt);
        usage.addProperty("completion_tokens", generated);
        usage.addProperty("total_tokens", prompt + generated);
        return usage;
    }

    /** The chunk after the last one when {@code stream_options.include_usage}: no choices, the usage. */
    static JsonObject usageChunk(String id, long created, String model, java.util.List<DecodeResult> results) {
        JsonObject body = chunk(id, created, model, 0, new JsonObject(), null);
        body.add("choices", new JsonArray());
        body.add("usage", usage(results));
        return body;
    }

    static JsonObject chunk(String id, long created, String model, int index, JsonObject delta, String finish) {
        JsonObject choice = new JsonObject();
        choice.addProperty("index", index);
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

    static JsonObject delta(String role, String content) {
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
