package org.mix4j.pipelines.decoding;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.mix4j.api.Tokenizer;
import org.mix4j.config.ConfigBinder;
import org.mix4j.config.ConfigException;
import org.mix4j.config.ConfigNode.Origin;
import org.mix4j.config.ConfigNode.MapNode;
import org.mix4j.config.JsonConfig;
import org.mix4j.pipelines.task.DecodingSettings;

/**
 * Binds {@code generation:} settings as a checkpoint intends them: YAML values over the
 * checkpoint's {@code generation_config.json} over the record defaults. Stop ids, when none are
 * given, are {@code eos_token_id} of generation_config.json, else of config.json, plus the
 * tokenizer's {@code eos_token} (chat models end a turn with it).
 */
public final class DecodingDefaults {

    private DecodingDefaults() {}

    public static DecodingSettings bind(MapNode yaml, Path checkpoint, Tokenizer tokenizer) {
        MapNode defaults = null;
        Path file = checkpoint == null ? null : checkpoint.resolve("generation_config.json");
        if (file != null && Files.isRegularFile(file)) {
            defaults = JsonConfig.toNode(JsonConfig.read(file), file.toString());
        }
        DecodingSettings s = ConfigBinder.bind(DecodingSettings.class, yaml, defaults, "generation", Set.of());
        if (!s.eosTokenId().isEmpty()) {
            return s;
        }
        Set<Long> stop = new LinkedHashSet<>(configEos(checkpoint));
        if (tokenizer != null) {
            tokenizer.specialId("eos_token").ifPresent(stop::add);
        }
        return withEos(s, new ArrayList<>(stop));
    }

    /**
     * {@link #bind}, then the stop ids checked against the language model's vocabulary: an id the
     * model can never produce would let every answer run to {@code max_new_tokens} unnoticed.
     */
    public static DecodingSettings bind(MapNode yaml, Path checkpoint, Tokenizer tokenizer, int vocabSize) {
        DecodingSettings s = bind(yaml, checkpoint, tokenizer);
        for (long id : s.eosTokenId()) {
            if (id >= vocabSize) {
                Origin origin = yaml != null && yaml.entries().containsKey("eos_token_id")
                        ? yaml.keyOrigin("eos_token_id")
                        : Origin.of(checkpoint == null ? "generation" : checkpoint.toString());
                throw new ConfigException(origin, "generation.eos_token_id", id + " is outside the language model's "
                        + "vocabulary of " + vocabSize + " tokens (ids 0 to " + (vocabSize - 1) + ")", null);
            }
        }
        return s;
    }

    public static DecodingSettings withEos(DecodingSettings s, List<Long> eos) {
        return new DecodingSettings(s.maxNewTokens(), s.temperature(), s.topK(), s.topP(), s.repetitionPenalty(),
                s.seed(), eos, s.stop(), s.doSample());
    }

    private static List<Long> configEos(Path checkpoint) {
        Path file = checkpoint == null ? null : checkpoint.resolve("config.json");
        if (file == null || !Files.isRegularFile(file)) {
            return List.of();
        }
        JsonObject config = JsonConfig.read(file);
        JsonObject text = JsonConfig.child(config, "text_config");
        JsonElement eos = config.has("eos_token_id") ? config.get("eos_token_id")
                : text != null ? text.get("eos_token_id") : null;
        List<Long> out = new ArrayList<>();
        if (eos != null && eos.isJsonArray()) {
            eos.getAsJsonArray().forEach(e -> out.add(e.getAsLong()));
        } else if (eos != null && eos.isJsonPrimitive()) {
            out.add(eos.getAsLong());
        }
        return out;
    }
}
