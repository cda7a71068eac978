package org.mix4j.serve;

import static org.mix4j.serve.JsonFields.integer;
import static org.mix4j.serve.JsonFields.present;
import static org.mix4j.serve.JsonFields.string;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.javalin.http.Context;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.mix4j.api.RgbImage;

/**
 * {@code POST /v1/embeddings} for retrieval pipelines: OpenAI's request ({@code model},
 * {@code input} a string or a list of strings, {@code encoding_format} {@code float} or
 * {@code base64}, {@code dimensions}) and response. An input that is a {@code data:image/...;base64,}
 * URL is an image and goes through the image tower; every other input is text. Both land in the
 * same L2-normalised space, so a text's and an image's dot product is their CLIP similarity.
 */
final class Embeddings {

    /** The most inputs one request may hold (OpenAI's own limit). */
    static final int MAX_INPUTS = 2048;

    private final ServeConfig.Limits limits;
    private final ModelAccess access;
    private final ServerMetrics metrics;
    private final ImageUrls images;

    Embeddings(ServeConfig.Limits limits, ModelAccess access, ServerMetrics metrics, ImageUrls images) {
        this.images = images;
        this.limits = limits;
        this.access = access;
        this.metrics = metrics;
    }

    /** One input: its text, or its decoded image. */
    private record Input(String text, RgbImage image) {}

    void handle(Context ctx) throws InterruptedException {
        JsonObject o = JsonFields.body(ctx.body());
        String model = string(o, "model", true);
        String format = string(o, "encoding_format", false);
        if (format != null && !format.equals("float") && !format.equals("base64")) {
            throw ApiError.invalid("encoding_format", "encoding_format must be float or base64, got '" + format + "'");
        }
        Integer dimensions = integer(o, "dimensions");
        List<Input> inputs = inputs(o);
        try (ModelAccess.Use use = access.enter(model, ctx)) {
            ServedModel.Embedder embedder = use.model().embedder();
            if (embedder == null) {
                throw ModelAccess.wrongTask(model, use.model(), "POST /v1/embeddings");
            }
            if (dimensions != null && dimensions != embedder.dimensions()) {
                throw ApiError.invalid("dimensions", "the model '" + model + "' makes embeddings of "
                        + embedder.dimensions() + " dimensions and cannot shorten them; got dimensions " + dimensions);
            }
            JsonArray data = new JsonArray();
            int tokens = 0;
            for (int i = 0; i < inputs.size(); i++) {
                Input in = inputs.get(i);
                float[] vector;
                if (in.image() != null) {
                    vector = embedder.image(in.image());
                } else {
                    vector = embedder.text(in.text());
                    tokens += embedder.tokens(in.text());
                }
                JsonObject item = new JsonObject();
                item.addProperty("object", "embedding");
                item.addProperty("index", i);
                if ("base64".equals(format)) {
                    item.addProperty("embedding", base64(vector));
                } else {
                    JsonArray values = new JsonArray(vector.length);
                    for (float v : vector) {
                        values.add(v);
                    }
                    item.add("embedding", values);
                }
                data.add(item);
            }
            metrics.embedded(model, inputs.size());
            JsonObject usage = new JsonObject();
            usage.addProperty("prompt_tokens", tokens);
            usage.addProperty("total_tokens", tokens);
            JsonObject body = new JsonObject();
            body.addProperty("object", "list");
            body.add("data", data);
            body.addProperty("model", model);
            body.add("usage", usage);
            ctx.contentType("application/json").result(body.toString());
        }
    }

    /** The inputs, images decoded; checked before the request waits for its model. */
    private List<Input> inputs(JsonObject o) {
        JsonElement input = present(o, "input");
        if (input == null) {
            throw ApiError.invalid("input", "missing required field 'input'");
        }
        List<JsonElement> items = new ArrayList<>();
        if (input.isJsonArray()) {
            input.getAsJsonArray().forEach(items::add);
            if (items.isEmpty()) {
                throw ApiError.invalid("input", "input is an empty list; give at least one string");
            }
            if (items.size() > MAX_INPUTS) {
                throw ApiError.invalid("input", "input holds " + items.size() + " items; at most " + MAX_INPUTS
                        + " a request");
            }
        } else {
            items.add(input);
        }
        List<Input> out = new ArrayList<>();
        int chars = 0;
        for (int i = 0; i < items.size(); i++) {
            String param = input.isJsonArray() ? "input[" + i + "]" : "input";
            JsonElement e = items.get(i);
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
                throw ApiError.invalid(param, param + " must be a string (text, or an image as a data:image/png;base64,"
                        + " URL); token-id inputs are not supported, got " + abbreviated(e));
            }
            String s = e.getAsString();
            if (s.toLowerCase(Locale.ROOT).startsWith("data:")) {
                out.add(new Input(null, images.decode(s, param)));
                continue;
            }
            if (s.isEmpty()) {
                throw ApiError.invalid(param, param + " is empty");
            }
            chars += s.length();
            if (chars > limits.maxPromptChars()) {
                throw ApiError.invalid("input", "the inputs hold more than " + limits.maxPromptChars()
                        + " characters of text (max_prompt_chars)");
            }
            out.add(new Input(s, null));
        }
        return out;
    }

    /** Little-endian float32 bytes in base64, as OpenAI sends {@code encoding_format: base64}. */
    static String base64(float[] vector) {
        ByteBuffer bytes = ByteBuffer.allocate(vector.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : vector) {
            bytes.putFloat(v);
        }
        return Base64.getEncoder().encodeToString(bytes.array());
    }

    private static String abbreviated(JsonElement e) {
        String s = e.toString();
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
