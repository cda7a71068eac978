package org.mix4j.diffusion.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import jakarta.inject.Inject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mix4j.api.Denoiser;
import org.mix4j.api.Role;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.golden.CaseRunner;
import org.mix4j.golden.GoldenCase;
import org.mix4j.weights.Checkpoint;
import org.pf4j.Extension;

/**
 * Golden kind {@code lora_unet}: the case's UNet loaded as YAML would load it with
 * {@code lora: [{file: <the kohya file>, scale: s}]}, run once per {@code runs} entry; the merged
 * weights of {@code merged_weights} read through the same {@link LoraWeights}.
 */
@Extension
public final class LoraCaseRunner implements CaseRunner {

    private final ComponentLoader loader;

    @Inject
    public LoraCaseRunner(ComponentLoader loader) {
        this.loader = loader;
    }

    @Override
    public Set<String> kinds() {
        return Set.of("lora_unet");
    }

    @Override
    public Map<String, NDArray> run(GoldenCase c, NDManager manager) {
        String file = c.json().getAsJsonObject("lora_files").getAsJsonObject("kohya").get("file").getAsString();
        NDArray sample = c.tensor("sample", manager);
        NDArray timestep = c.tensor("timestep", manager);
        NDArray context = c.tensor("encoder_hidden_states", manager);
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (JsonElement e : c.json().getAsJsonArray("runs")) {
            JsonObject run = e.getAsJsonObject();
            Map<String, Object> overrides = Map.of("lora", List.of(Map.of("file", file, "scale",
                    run.get("lora_scale").getAsDouble())));
            try (Denoiser unet = loader.load("unet2d_condition", Role.DENOISER, c.dir(), overrides, manager,
                    DataType.FLOAT32)) {
                out.put(run.get("output").getAsString(), unet.forward(sample, timestep, context, null));
            }
        }
        for (JsonElement e : c.json().getAsJsonArray("merged_weights")) {
            JsonObject m = e.getAsJsonObject();
            String parameter = m.get("parameter").getAsString();
            try (Checkpoint base = Checkpoint.open(c.dir());
                    LoraWeights merged = LoraWeights.open(base.weights(manager, DataType.FLOAT32),
                            List.of(new LoraFile(file, m.get("lora_scale").getAsDouble())), c.dir())) {
                out.put(m.get("output").getAsString(), merged.get(parameter, merged.shape(parameter)));
            }
        }
        return out;
    }
}
