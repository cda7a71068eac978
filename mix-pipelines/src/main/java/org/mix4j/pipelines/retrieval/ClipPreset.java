package org.mix4j.pipelines.retrieval;

import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.mix4j.pipelines.task.Preset;
import org.mix4j.pipelines.task.Presets;
import org.pf4j.Extension;

/**
 * {@code --model DIR} for transformers' {@code CLIPModel} checkpoints (what {@code mix train}'s
 * contrastive objective writes too): a retrieval pipeline of the two towers, the checkpoint's
 * {@code preprocessor_config.json}, and its tokenizer: {@code tokenizer.json} through
 * {@code hf_tokenizer}, else {@code vocab.json} + {@code merges.txt} through {@code clip_bpe}.
 */
@Extension
public final class ClipPreset implements Preset {

    @Override
    public Optional<Document> document(Path dir, JsonObject config, JsonObject modelIndex) {
        boolean clip = config != null && config.has("model_type") && config.get("model_type").getAsString().equals("clip");
        if (!clip) {
            return Optional.empty();
        }
        Map<String, Object> y = new LinkedHashMap<>();
        y.put("task", "retrieval");
        y.put("checkpoint", Presets.checkpoint(dir));
        y.put("encoder", Map.of("type", "clip_vision"));
        y.put("text_encoder", Map.of("type", "clip_text"));
        boolean bpe = !Files.isRegularFile(dir.resolve("tokenizer.json")) && Files.isRegularFile(dir.resolve("vocab.json"));
        y.put("tokenizer", Map.of("type", bpe ? "clip_bpe" : "hf_tokenizer"));
        return Optional.of(Presets.document(dir, y, List.of("preset for a CLIPModel checkpoint: image and text "
                + "embeddings for mix index / mix search; preprocessing from preprocessor_config.json")));
    }
}
