package org.mix4j.training.golden;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mix4j.api.Denoiser;
import org.mix4j.api.Role;
import org.mix4j.api.Scheduler;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.golden.CaseRunner;
import org.mix4j.golden.GoldenCase;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.training.DiffusionLoss;
import org.mix4j.training.Lora;
import org.mix4j.training.Parameters;
import org.pf4j.Extension;

/**
 * LoRA fine-tuning steps of a UNet ({@code unet_train_step}): the training scheduler's
 * {@code add_noise} (checked against the case's), epsilon-prediction MSE, LoRA on the attention
 * projections from given initial factors, clipping and AdamW, one learning rate per step.
 */
@Extension
public final class UnetTrainCaseRunner implements CaseRunner {

    private final ComponentLoader loader;

    @Inject
    public UnetTrainCaseRunner(ComponentLoader loader) {
        this.loader = loader.withParallel(TensorParallel.SERIAL);
    }

    @Override
    public Set<String> kinds() {
        return Set.of("unet_train_step");
    }

    @Override
    public Map<String, NDArray> run(GoldenCase c, NDManager m) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        Map<String, Object> schedule = new LinkedHashMap<>();
        JsonObject sc = c.json().getAsJsonObject("scheduler_config");
        for (String key : DiffusionLoss.SCHEDULE_KEYS) {
            if (sc.has(key) && sc.get(key).isJsonPrimitive()) {
                var v = sc.get(key).getAsJsonPrimitive();
                schedule.put(key, v.isNumber() ? v.getAsDouble() : v.isBoolean() ? v.getAsBoolean() : v.getAsString());
            }
        }
        if (schedule.get("num_train_timesteps") instanceof Double d) {
            schedule.put("num_train_timesteps", d.intValue());
        }
        Scheduler scheduler = loader.load("ddim", Role.SCHEDULER, null, schedule, m, DataType.FLOAT32);
        try (Denoiser unet = loader.load("unet2d_condition", Role.DENOISER, c.dir(), Map.of(), m, DataType.FLOAT32);
                Parameters params = new Parameters(m)) {
            JsonObject l = c.json().getAsJsonObject("lora");
            List<String> targets = new ArrayList<>();
            l.getAsJsonArray("target_modules").forEach(t -> targets.add(t.getAsString()));
            Lora spec = new Lora(l.get("r").getAsInt(), l.get("lora_alpha").getAsDouble(),
                    l.has("lora_dropout") ? l.get("lora_dropout").getAsDouble() : 0, targets);
            params.add("", unet).lora("", spec, (module, shapes) -> new NDArray[] {
                c.tensor("lora." + module + ".lora_A.weight", m), c.tensor("lora." + module + ".lora_B.weight", m)}, 0);

            NDArray latents = c.tensor("latents", m);
            NDArray noise = c.tensor("noise", m);
            NDArray timesteps = c.tensor("timesteps", m);
            NDArray context = c.tensor("encoder_hidden_states", m);
            NDArray noisy = DiffusionLoss.addNoise(scheduler, latents, noise, timesteps);
            double addNoiseError = noisy.sub(c.tensor("noisy_latents", m)).abs().max().getFloat();
            if (addNoiseError > 1e-5) {
                throw new IllegalStateException("add_noise differs from the case's noisy_latents by " + addNoiseError);
            }
            TrainingSteps.run(c, params, step -> DiffusionLoss.mse(unet.forward(noisy, timesteps, context, null), noise),
                    out, m);
        }
        return out;
    }
}
