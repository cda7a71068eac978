package org.mix4j.diffusion.tokenizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mix4j.api.Role;
import org.mix4j.api.Tokenizer;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.golden.CaseRunner;
import org.mix4j.golden.GoldenCase;
import org.pf4j.Extension;

/**
 * Golden kind {@code clip_tokenizer}: for each of {@code variants}, loads {@code clip_bpe} from the
 * variant's tokenizer files and encodes {@code strings} padded and truncated to {@code max_length}.
 * The variant's first output is the ids, the second the attention mask.
 */
@Extension
public final class ClipTokenizerCaseRunner implements CaseRunner {

    /** Which config key names a tokenizer file, by file name. */
    private static final Map<String, String> FILE_KEYS = Map.of("tokenizer_config.json", "config",
            "special_tokens_map.json", "special_tokens_map", "vocab.json", "vocab", "merges.txt", "merges");

    private final ComponentLoader loader;

    @Inject
    public ClipTokenizerCaseRunner(ComponentLoader loader) {
        this.loader = loader;
    }

    @Override
    public Set<String> kinds() {
        return Set.of("clip_tokenizer");
    }

    @Override
    public Map<String, NDArray> run(GoldenCase c, NDManager manager) {
        List<String> strings = c.strings("strings");
        int maxLength = c.json().get("max_length").getAsInt();
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> variant : c.json().getAsJsonObject("variants").entrySet()) {
            JsonObject v = variant.getValue().getAsJsonObject();
            Map<String, Object> overrides = new LinkedHashMap<>();
            for (JsonElement f : v.getAsJsonArray("tokenizer_files")) {
                String path = f.getAsString();
                String key = FILE_KEYS.get(path.substring(path.lastIndexOf('/') + 1));
                if (key != null) {
                    overrides.put(key, path);
                }
            }
            Tokenizer tokenizer = loader.load("clip_bpe", Role.TOKENIZER, c.dir(), overrides, manager, DataType.FLOAT32);
            Tokenizer.TokenizedBatch batch = tokenizer.encodeBatch(strings, maxLength);
            List<String> names = new ArrayList<>();
            v.getAsJsonArray("outputs").forEach(n -> names.add(n.getAsString()));
            out.put(names.get(0), manager.create(batch.ids()));
            out.put(names.get(1), manager.create(batch.attentionMask()));
        }
        return out;
    }
}
