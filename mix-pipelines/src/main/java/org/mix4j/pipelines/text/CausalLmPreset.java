package org.mix4j.pipelines.text;

import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.Optional;
import org.mix4j.llm.llama.LlamaFamily;
import org.mix4j.pipelines.task.Preset;
import org.mix4j.pipelines.task.Presets;
import org.pf4j.Extension;

/** {@code mix run --model DIR} for LLaMA-family causal LMs: a text pipeline with the checkpoint's tokenizer. */
@Extension
public final class CausalLmPreset implements Preset {

    @Override
    public Optional<String> yaml(Path dir, JsonObject config, JsonObject modelIndex) {
        String type = config != null && config.has("model_type") ? config.get("model_type").getAsString() : "";
        if (!LlamaFamily.MODEL_TYPES.contains(type)) {
            return Optional.empty();
        }
        return Optional.of("# preset for a " + type + " causal LM\n"
                + "task: text\n"
                + "checkpoint: " + Presets.quote(dir.toAbsolutePath().normalize().toString()) + "\n"
                + "llm: { type: " + type + " }\n"
                + "tokenizer: { type: hf_tokenizer }\n"
                + "generation: { max_new_tokens: 256 }\n");
    }
}
