package org.mix4j.llm.tokenizer;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.mix4j.config.JsonConfig;

/**
 * The named special tokens ({@code bos_token}, {@code eos_token}, {@code pad_token},
 * {@code unk_token}) of a Hugging Face tokenizer: from {@code tokenizer_config.json}, else
 * {@code special_tokens_map.json}. Each may be a string or an AddedToken object with
 * {@code content}.
 */
record SpecialTokens(Map<String, String> tokens) {

    static final String[] NAMES = {"bos_token", "eos_token", "pad_token", "unk_token"};

    static SpecialTokens read(Path dir, JsonObject tokenizerConfig) {
        JsonObject map = null;
        Path mapFile = dir.resolve("special_tokens_map.json");
        if (Files.isRegularFile(mapFile)) {
            map = JsonConfig.read(mapFile);
        }
        Map<String, String> tokens = new LinkedHashMap<>();
        for (String name : NAMES) {
            String value = content(tokenizerConfig == null ? null : tokenizerConfig.get(name));
            if (value == null) {
                value = content(map == null ? null : map.get(name));
            }
            if (value != null) {
                tokens.put(name, value);
            }
        }
        return new SpecialTokens(Map.copyOf(tokens));
    }

    private static String content(JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (e.isJsonPrimitive()) {
            return e.getAsString();
        }
        if (e.isJsonObject() && e.getAsJsonObject().has("content")) {
            return e.getAsJsonObject().get("content").getAsString();
        }
        return null;
    }

    String get(String name) {
        return tokens.get(name);
    }
}
