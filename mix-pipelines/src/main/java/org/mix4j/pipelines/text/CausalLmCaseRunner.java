package org.mix4j.pipelines.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mix4j.api.LanguageModel;
import org.mix4j.api.Role;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.golden.CaseRunner;
import org.mix4j.golden.GoldenCase;
import org.mix4j.pipelines.decoding.DecodeResult;
import org.mix4j.pipelines.decoding.DecodingLoop;
import org.mix4j.pipelines.task.DecodingSettings;
import org.pf4j.Extension;

/**
 * Golden cases of LLaMA-family causal LMs ({@code llama_causal_lm}, {@code qwen2_causal_lm}): the
 * logits of a padded batch with explicit position ids, and greedy {@code generated_ids} from
 * {@code prompt_ids} through the {@link DecodingLoop} (prefill + KV cache), as {@code generate()} did.
 * The model type comes from the case's {@code config.json}, every size from the checkpoint.
 */
@Extension
public final class CausalLmCaseRunner implements CaseRunner {

    private final ComponentLoader loader;
    private final String quantize;

    @Inject
    public CausalLmCaseRunner(ComponentLoader loader) {
        this(loader, "none");
    }

    /** Runs the cases with every component loaded under {@code quantize: <quantize>} (how the int8 and fp16 paths are checked against the references). */
    public CausalLmCaseRunner(ComponentLoader loader, String quantize) {
        this.loader = loader;
        this.quantize = quantize;
    }

    private Map<String, Object> section(String... keyValues) {
        return org.mix4j.compose.Quantize.section(quantize, keyValues);
    }

    @Override
    public Set<String> kinds() {
        return Set.of("llama_causal_lm", "qwen2_causal_lm");
    }

    @Override
    public Map<String, NDArray> run(GoldenCase c, NDManager manager) {
        String type = c.config().get("model_type").getAsString();
        Map<String, NDArray> out = new LinkedHashMap<>();
        try (LanguageModel model = loader.load(type, Role.LANGUAGE_MODEL, c.dir(), section(), manager, DataType.FLOAT32)) {
            if (c.outputs().contains("logits")) {
                NDArray ids = c.tensor("input_ids", manager);
                NDArray mask = c.tensor("attention_mask", manager);
                NDArray positions = c.tensor("position_ids", manager);
                out.put("logits", model.forward(model.embed(ids), positions, mask, null).logits());
            }
            if (c.outputs().contains("generated_ids")) {
                out.put("generated_ids", generate(c, model, manager));
            }
        }
        return out;
    }

    private static NDArray generate(GoldenCase c, LanguageModel model, NDManager manager) {
        NDArray promptArray = c.tensor("prompt_ids", manager);
        long rows = promptArray.getShape().get(0);
        long length = promptArray.getShape().get(1);
        long[] flat = promptArray.toLongArray();
        List<long[]> prompts = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            prompts.add(java.util.Arrays.copyOfRange(flat, (int) (r * length), (int) ((r + 1) * length)));
        }
        JsonObject gen = c.json().getAsJsonObject("generation");
        List<Long> eos = gen.has("eos_token_id") ? List.of(gen.get("eos_token_id").getAsLong()) : List.of();
        DecodingSettings settings = new DecodingSettings(gen.get("max_new_tokens").getAsInt(), 0, 0, 1.0, 1.0, 0,
                eos, List.of(), false);
        DecodeResult result = new DecodingLoop(model, null, manager).generate(prompts, settings, null);
        int newTokens = result.tokens().stream().mapToInt(t -> t.length).max().orElse(0);
        long[] sequences = new long[(int) (rows * (length + newTokens))];
        long pad = gen.has("pad_token_id") ? gen.get("pad_token_id").getAsLong() : 0;
        for (int r = 0; r < rows; r++) {
            int base = (int) (r * (length + newTokens));
            System.arraycopy(prompts.get(r), 0, sequences, base, (int) length);
            long[] t = result.tokens().get(r);
            for (int i = 0; i < newTokens; i++) {
                sequences[base + (int) length + i] = i < t.length ? t[i] : pad;
            }
        }
        return manager.create(sequences, new Shape(rows, length + newTokens));
    }
}
