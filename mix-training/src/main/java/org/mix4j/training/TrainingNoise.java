package org.mix4j.training;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mix4j.api.Role;
import org.mix4j.api.Scheduler;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.compose.ComponentSpec;
import org.mix4j.config.ConfigException;
import org.mix4j.config.ConfigNode;
import org.mix4j.config.ConfigNode.MapNode;
import org.mix4j.config.JsonConfig;
import org.mix4j.pipelines.task.PipelineConfig;

/**
 * The noise a text-to-image model is trained against, from its pipeline's scheduler config
 * ({@code scheduler_config.json} of the section's folder, the YAML's keys over it): the betas in a
 * DDIM scheduler, whose {@code add_noise} is DDPM's whatever scheduler samples at inference (as
 * diffusers' training scripts load {@code DDPMScheduler} from the same config), the number of
 * training timesteps, and what the denoiser predicts.
 *
 * @param scheduler {@link Scheduler#addNoise} with the training betas
 * @param timesteps {@code num_train_timesteps}
 * @param vPrediction {@code prediction_type: v_prediction} (else {@code epsilon})
 */
record TrainingNoise(Scheduler scheduler, int timesteps, boolean vPrediction) {

    /** Prediction types the loss has a target for. */
    static final List<String> PREDICTION_TYPES = List.of("epsilon", "v_prediction");

    /** @throws ConfigException naming {@code scheduler.prediction_type} when it is neither of {@link #PREDICTION_TYPES} */
    static TrainingNoise of(PipelineConfig config, ComponentLoader loader, NDManager manager) {
        MapNode schedule = config(config);
        ConfigNode type = schedule.get("prediction_type");
        String prediction = type instanceof ConfigNode.Scalar s && s.value() != null ? String.valueOf(s.value()) : "epsilon";
        if (!PREDICTION_TYPES.contains(prediction)) {
            ConfigNode.Origin o = type.origin();
            throw new ConfigException(o.file(), o.line(), o.column(), "scheduler.prediction_type", "objective diffusion "
                    + "trains a denoiser that predicts " + PREDICTION_TYPES + ", not '" + prediction + "'", PREDICTION_TYPES);
        }
        Map<String, Object> keys = new LinkedHashMap<>();
        for (String key : DiffusionLoss.SCHEDULE_KEYS) {
            ConfigNode value = schedule.get(key);
            if (value != null && !(value instanceof ConfigNode.Scalar s && s.value() == null)) {
                keys.put(key, value);
            }
        }
        Scheduler ddim = loader.load("ddim", Role.SCHEDULER, null, keys, manager, DataType.FLOAT32);
        int timesteps = schedule.get("num_train_timesteps") instanceof ConfigNode.Scalar s && s.value() instanceof Number n
                ? n.intValue() : 1000; // diffusers' default
        return new TrainingNoise(ddim, timesteps, prediction.equals("v_prediction"));
    }

    private static MapNode config(PipelineConfig config) {
        ComponentSpec spec = config.component("scheduler");
        Path dir = ComponentLoader.directory(spec, config.checkpoint());
        Path file = dir == null ? null : Files.isDirectory(dir) ? dir.resolve("scheduler_config.json") : dir;
        MapNode json = file != null && Files.isRegularFile(file) ? JsonConfig.toNode(JsonConfig.read(file), file.toString())
                : (MapNode) ConfigNode.fromJava(Map.of(), ConfigNode.Origin.UNKNOWN);
        return json.with(spec.options());
    }
}
