package org.mix4j.serve;

import static org.mix4j.serve.JsonFields.bool;
import static org.mix4j.serve.JsonFields.integer;
import static org.mix4j.serve.JsonFields.number;
import static org.mix4j.serve.JsonFields.present;
import static org.mix4j.serve.JsonFields.string;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.mix4j.api.RgbImage;

/**
 * A {@code POST /v1/chat/completions} body, checked field by field; every error names the field as
 * OpenAI's {@code param} does ({@code messages[1].content[0].image_url.url}). Fields the server does
 * not use are ignored, as OpenAI ignores unknown ones.
 *
 * @param maxTokens {@code max_completion_tokens}, else {@code max_tokens}; {@code null} when absent
 * @param streamUsage {@code stream_options.include_usage}: a last chunk with the usage
 * @param firstImagePart where the first image is ({@code messages[i].content[j]}), or {@code null}
 * @param n how many choices to generate (1 to {@link #MAX_CHOICES})
 */
public record ChatRequest(String model, List<ServedModel.Message> messages, Integer maxTokens, Double temperature,
        Double topP, Long seed, List<String> stop, boolean stream, boolean streamUsage, String firstImagePart, int n) {

    /** The most choices ({@code n}) one request may ask for: each is a whole generation. */
    static final int MAX_CHOICES = 8;

    private static final List<String> ROLES = List.of("system", "developer", "user", "assistant");

    /** Parses and checks a request body; images are decoded here (data URLs, and the sources the operator allows). */
    static ChatRequest parse(String body, ImageUrls images, int maxPromptChars) {
        JsonObject o = JsonFields.body(body);
        String model = string(o, "model", true);
        List<String> imageParts = new ArrayList<>();
        List<ServedModel.Message> messages = messages(o, images, imageParts);
        int chars = messages.stream().mapToInt(m -> m.text().length()).sum();
        if (chars > maxPromptChars) {
            throw ApiError.invalid("messages", "the messages hold " + chars + " characters of text; this server "
                    + "accepts at most " + maxPromptChars);
        }
        Integer maxTokens = integer(o, "max_completion_tokens");
        if (maxTokens == null) {
            maxTokens = integer(o, "max_tokens");
        }
        if (maxTokens != null && maxTokens < 1) {
            String key = present(o, "max_completion_tokens") != null ? "max_completion_tokens" : "max_tokens";
            throw ApiError.invalid(key, key + " must be at least 1, got " + maxTokens);
        }
        Double temperature = number(o, "temperature");
        if (temperature != null && (temperature < 0 || temperature > 2)) {
            throw ApiError.invalid("temperature", "temperature must be between 0 and 2, got " + temperature);
        }
        Double topP = number(o, "top_p");
        if (topP != null && (topP <= 0 || topP > 1)) {
            throw ApiError.invalid("top_p", "top_p must be in (0, 1], got " + topP);
        }
        Integer n = integer(o, "n");
        if (n != null && (n < 1 || n > MAX_CHOICES)) {
            throw ApiError.invalid("n", "n must be between 1 and " + MAX_CHOICES + ", got " + n);
        }
        Double seed = number(o, "seed");
        if (seed != null && seed != Math.rint(seed)) {
            throw ApiError.invalid("seed", "seed must be an integer, got " + seed);
        }
        Boolean stream = bool(o, "stream");
        Boolean usage = null;
        JsonElement options = present(o, "stream_options");
        if (options != null) {
            if (!options.isJsonObject()) {
                throw ApiError.invalid("stream_options", "stream_options must be an object");
            }
            usage = bool(options.getAsJsonObject(), "include_usage", "stream_options.include_usage");
        }
        return new ChatRequest(model, messages, maxTokens, temperature, topP, seed == null ? null : seed.longValue(),
                stop(o), stream != null && stream, usage != null && usage, imageParts.isEmpty() ? null : imageParts.get(0),
                n == null ? 1 : n);
    }

    private static List<ServedModel.Message> messages(JsonObject o, ImageUrls images, List<String> imageParts) {
        JsonElement list = present(o, "messages");
        if (list == null) {
            throw ApiError.invalid("messages", "missing required field 'messages'");
        }
        if (!list.isJsonArray() || list.getAsJsonArray().isEmpty()) {
            throw ApiError.invalid("messages", "messages must be a non-empty array of messages");
        }
        List<ServedModel.Message> out = new ArrayList<>();
        JsonArray array = list.getAsJsonArray();
        for (int i = 0; i < array.size(); i++) {
            String at = "messages[" + i + "]";
            if (!array.get(i).isJsonObject()) {
                throw ApiError.invalid(at, at + " must be an object with role and content");
            }
            JsonObject m = array.get(i).getAsJsonObject();
            String role = string(m, "role", true, at + ".role");
            if (!ROLES.contains(role)) {
                throw ApiError.invalid(at + ".role", at + ".role must be one of " + ROLES + ", got '" + role + "'");
            }
            role = role.equals("developer") ? "system" : role;
            out.add(content(m, role, at, images, imageParts));
        }
        if (!out.get(out.size() - 1).role().equals("user")) {
            throw ApiError.invalid("messages[" + (out.size() - 1) + "].role", "the last message must be the user's");
        }
        return out;
    }

    private static ServedModel.Message content(JsonObject m, String role, String at, ImageUrls decoder,
            List<String> imageParts) {
        JsonElement content = present(m, "content");
        if (content == null) {
            throw ApiError.invalid(at + ".content", "missing required field '" + at + ".content'");
        }
        if (content.isJsonPrimitive() && content.getAsJsonPrimitive().isString()) {
            return new ServedModel.Message(role, content.getAsString(), List.of());
        }
        if (!content.isJsonArray()) {
            throw ApiError.invalid(at + ".content", at + ".content must be a string or an array of parts");
        }
        StringBuilder text = new StringBuilder();
        List<RgbImage> images = new ArrayList<>();
        JsonArray parts = content.getAsJsonArray();
        for (int j = 0; j < parts.size(); j++) {
            String pat = at + ".content[" + j + "]";
            if (!parts.get(j).isJsonObject()) {
                throw ApiError.invalid(pat, pat + " must be an object with a type");
            }
            JsonObject part = parts.get(j).getAsJsonObject();
            String type = string(part, "type", true, pat + ".type");
            if (type.equals("text")) {
                text.append(text.length() == 0 ? "" : "\n").append(string(part, "text", true, pat + ".text"));
            } else if (type.equals("image_url")) {
                if (!role.equals("user")) {
                    throw ApiError.invalid(pat, "only user messages may carry images, " + at + " is the " + role + "'s");
                }
                images.add(decoder.decode(imageUrl(part, pat), pat + ".image_url.url"));
                imageParts.add(pat);
            } else {
                throw ApiError.invalid(pat + ".type", pat + ".type must be text or image_url, got '" + type + "'");
            }
        }
        return new ServedModel.Message(role, text.toString(), List.copyOf(images));
    }

    private static String imageUrl(JsonObject part, String pat) {
        JsonElement image = present(part, "image_url");
        if (image == null) {
            throw ApiError.invalid(pat + ".image_url", "missing required field '" + pat + ".image_url'");
        }
        if (image.isJsonPrimitive() && image.getAsJsonPrimitive().isString()) {
            return image.getAsString(); // the older shape, a bare string
        }
        if (!image.isJsonObject()) {
            throw ApiError.invalid(pat + ".image_url", pat + ".image_url must be an object with a url");
        }
        return string(image.getAsJsonObject(), "url", true, pat + ".image_url.url");
    }

    private static List<String> stop(JsonObject o) {
        JsonElement stop = present(o, "stop");
        if (stop == null) {
            return null;
        }
        if (stop.isJsonPrimitive() && stop.getAsJsonPrimitive().isString()) {
            return List.of(stop.getAsString());
        }
        if (stop.isJsonArray() && stop.getAsJsonArray().size() <= 4) {
            List<String> out = new ArrayList<>();
            for (JsonElement e : stop.getAsJsonArray()) {
                if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString() || e.getAsString().isEmpty()) {
                    throw ApiError.invalid("stop", "stop must be a string or up to 4 non-empty strings");
                }
                out.add(e.getAsString());
            }
            return out;
        }
        throw ApiError.invalid("stop", "stop must be a string or up to 4 non-empty strings");
    }

    /** Strict JSON as OpenAI's API reads it (Gson's own parser would take single quotes and bare words). */
}
