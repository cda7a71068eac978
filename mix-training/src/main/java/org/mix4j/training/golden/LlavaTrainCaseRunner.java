package org.mix4j.training.golden;

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
import org.mix4j.api.Connector;
import org.mix4j.api.LanguageModel;
import org.mix4j.api.Role;
import org.mix4j.api.VisionEncoder;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.config.JsonConfig;
import org.mix4j.golden.CaseRunner;
import org.mix4j.golden.GoldenCase;
import org.mix4j.nn.Autograd;
import org.mix4j.pipelines.understanding.VisionStack;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.tiling.NoTiler;
import org.mix4j.training.AdamW;
import org.mix4j.training.CausalLmLoss;
import org.mix4j.training.GradientClipping;
import org.mix4j.training.LlavaForward;
import org.mix4j.training.Lora;
import org.mix4j.training.Parameters;
import org.pf4j.Extension;

/**
 * Training steps on a LLaVA checkpoint ({@code llava_train_step}): the case's trainable tensors
 * (and LoRA adapters on the language model, from given initial factors) train with the causal-LM
 * loss, global-norm clipping and AdamW, one learning rate per step, all on the same batch; and
 * packed rows ({@code llava_train_packed}): two samples in one row, attention kept inside each,
 * against the same samples padded.
 */
@Extension
public final class LlavaTrainCaseRunner implements CaseRunner {

    private final ComponentLoader loader;

    @Inject
    public LlavaTrainCaseRunner(ComponentLoader loader) {
        this.loader = loader.withParallel(TensorParallel.SERIAL);
    }

    @Override
    public Set<String> kinds() {
        return Set.of("llava_train_step", "llava_train_packed");
    }

    @Override
    public Map<String, NDArray> run(GoldenCase c, NDManager m) {
        JsonObject config = c.config();
        JsonObject text = JsonConfig.child(config, "text_config");
        String llmType = text != null && text.has("model_type") ? text.get("model_type").getAsString() : "llama";
        long imageToken = config.get("image_token_index").getAsLong();
        Map<String, NDArray> out = new LinkedHashMap<>();
        try (VisionEncoder encoder = loader.load("clip_vision", Role.VISION_ENCODER, c.dir(),
                        Map.of("weights_prefix", "vision_tower."), m, DataType.FLOAT32);
                Connector connector = loader.load("mlp", Role.CONNECTOR, c.dir(),
                        Map.of("weights_prefix", "multi_modal_projector."), m, DataType.FLOAT32);
                LanguageModel llm = loader.load(llmType, Role.LANGUAGE_MODEL, c.dir(),
                        Map.of("weights_prefix", "language_model."), m, DataType.FLOAT32);
                Parameters params = new Parameters(m)) {
            params.add("vision_tower.", encoder).add("multi_modal_projector.", connector).add("language_model.", llm);
            List<String> globs = new ArrayList<>();
            c.json().getAsJsonArray("trainable").forEach(e -> {
                if (!e.getAsString().equals("lora")) {
                    globs.add(e.getAsString());
                }
            });
            params.train(globs);
            JsonElement lora = c.json().get("lora");
            if (lora != null && lora.isJsonObject()) {
                JsonObject l = lora.getAsJsonObject();
                List<String> targets = new ArrayList<>();
                l.getAsJsonArray("target_modules").forEach(t -> targets.add(t.getAsString()));
                Lora spec = new Lora(l.get("r").getAsInt(), l.get("lora_alpha").getAsDouble(),
                        l.get("lora_dropout").getAsDouble(), targets);
                params.lora("language_model.", spec, (module, shapes) -> new NDArray[] {
                    c.tensor("lora." + module + ".lora_A.weight", m), c.tensor("lora." + module + ".lora_B.weight", m)}, 0);
            }
            LlavaForward forward = new LlavaForward(new VisionStack(null, new NoTiler(), encoder, null, null, connector, 8),
                    llm, imageToken);
            if (c.kind().equals("llava_train_packed")) {
                packed(c, forward, params, out, m);
            } else {
                NDArray pixels = c.tensor("pixel_values", m);
                NDArray ids = c.tensor("input_ids", m);
                NDArray mask = c.tensor("attention_mask", m);
                NDArray labels = c.tensor("labels", m);
                TrainingSteps.run(c, params, step -> CausalLmLoss.mean(forward.logits(pixels, ids, mask,
                        LlavaForward.positions(mask), step), labels), out, m);
            }
        }
        return out;
    }

    private static void packed(GoldenCase c, LlavaForward forward, Parameters params, Map<String, NDArray> out,
            NDManager m) {
        NDArray pixels = c.tensor("pixel_values", m);
        NDArray ids = c.tensor("input_ids", m);
        NDArray labels = c.tensor("labels", m);
        try (Autograd.Recording recording = Autograd.record()) {
            NDArray loss = CausalLmLoss.mean(forward.logits(pixels, ids,
                    LlavaForward.packedMask(c.tensor("sequence_ids", m)), c.tensor("position_ids", m), m), labels);
            recording.backward(loss);
            out.put("loss", loss.stopGradient().duplicate().reshape(1));
        }
        params.trainable().forEach((name, p) -> out.put("grad." + name, TrainingSteps.gradient(p, m)));
        GradientClipping.zero(params.trainable().values());
        NDArray mask = c.tensor("unpacked_attention_mask", m);
        NDArray padded = CausalLmLoss.mean(forward.logits(pixels, c.tensor("unpacked_input_ids", m), mask,
                LlavaForward.positions(mask), m), c.tensor("unpacked_labels", m));
        out.put("loss_unpacked", padded.stopGradient().reshape(1));
    }
}
