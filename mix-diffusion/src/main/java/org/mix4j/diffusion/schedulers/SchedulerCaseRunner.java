package org.mix4j.diffusion.schedulers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonElement;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mix4j.api.NoiseSource;
import org.mix4j.api.Role;
import org.mix4j.api.Scheduler;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.golden.CaseRunner;
import org.mix4j.golden.GoldenCase;
import org.pf4j.Extension;

/**
 * Golden kind {@code scheduler}: builds the scheduler that reproduces {@code scheduler_class} from
 * the case's {@code scheduler_config.json}, and for each {@code num_inference_steps} N runs the
 * denoising loop with the fixed stand-in denoiser
 * {@code model_output = 0.1 * scale_model_input(latents, t) + 0.05 * float32(t) / 1000}.
 * Stochastic steps (LCM) take their noise from {@code step_noise_N[i]}.
 */
@Extension
public final class SchedulerCaseRunner implements CaseRunner {

    private final ComponentLoader loader;

    @Inject
    public SchedulerCaseRunner(ComponentLoader loader) {
        this.loader = loader;
    }

    @Override
    public Set<String> kinds() {
        return Set.of("scheduler");
    }

    @Override
    public Map<String, NDArray> run(GoldenCase c, NDManager manager) {
        String type = SchedulerFactory.typeForDiffusersClass(loader.registry(), c.json().get("scheduler_class").getAsString());
        Map<String, Object> overrides = new LinkedHashMap<>();
        JsonElement configFile = c.json().get("config");
        if (configFile != null && configFile.isJsonPrimitive()) {
            overrides.put("config", configFile.getAsString());
        }
        Scheduler scheduler = loader.load(type, Role.SCHEDULER, c.dir(), overrides, manager, DataType.FLOAT32);
        NDArray noise = c.tensor("noise", manager);
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (JsonElement stepsElement : c.json().getAsJsonArray("num_inference_steps")) {
            int n = stepsElement.getAsInt();
            scheduler.setTimesteps(n);
            double[] timesteps = scheduler.timesteps();
            out.put("timesteps_" + n, timestepTensor(scheduler, timesteps, manager));
            float initSigma = (float) scheduler.initNoiseSigma();
            out.put("init_noise_sigma_" + n, manager.create(initSigma));
            if (scheduler instanceof DiffusersScheduler d && d.sigmas() != null) {
                out.put("sigmas_" + n, manager.create(d.sigmas()));
            }
            NoiseSource stepNoise = c.hasTensor("step_noise_" + n) ? replay(c.tensor("step_noise_" + n, manager)) : null;
            List<NDArray> latents = new ArrayList<>();
            List<NDArray> modelOutputs = new ArrayList<>();
            NDArray x = noise.mul(initSigma);
            latents.add(x);
            for (double t : timesteps) {
                NDArray modelOutput = standInDenoiser(scheduler.scaleModelInput(x, t), t);
                modelOutputs.add(modelOutput);
                x = scheduler.step(modelOutput, t, x, stepNoise).prevSample();
                latents.add(x);
            }
            out.put("latents_" + n, NDArrays.stack(new NDList(latents)));
            out.put("model_outputs_" + n, NDArrays.stack(new NDList(modelOutputs)));
        }
        return out;
    }

    /** {@code 0.1 * x + 0.05 * float32(t) / 1000}, float32 like the reference. */
    private static NDArray standInDenoiser(NDArray x, double t) {
        float shift = 0.05f * (float) t / 1000f;
        return x.mul(0.1f).add(shift);
    }

    private static NDArray timestepTensor(Scheduler scheduler, double[] timesteps, NDManager manager) {
        if (scheduler instanceof DiffusersScheduler d && !d.integerTimesteps()) {
            float[] values = new float[timesteps.length];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) timesteps[i];
            }
            return manager.create(values);
        }
        long[] values = new long[timesteps.length];
        for (int i = 0; i < values.length; i++) {
            values[i] = Math.round(timesteps[i]);
        }
        return manager.create(values);
    }

    /** A NoiseSource handing out the rows of {@code stored} in order, as the reference drew them. */
    private static NoiseSource replay(NDArray stored) {
        int[] next = {0};
        return (target, shape) -> {
            if (next[0] >= stored.getShape().get(0)) {
                throw new IllegalStateException("the case stores " + stored.getShape().get(0)
                        + " step noises but the scheduler asked for more");
            }
            NDArray row = stored.get(next[0]++);
            if (!row.getShape().equals(shape)) {
                throw new IllegalStateException("stored step noise has shape " + row.getShape() + ", scheduler asked for " + shape);
            }
            row.attach(target);
            return row;
        };
    }
}
