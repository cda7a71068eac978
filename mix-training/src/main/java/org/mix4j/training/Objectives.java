package org.mix4j.training;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.pipelines.task.PipelineConfig;

/** The objective {@code training.objective} names, on the pipeline of {@code config}. */
final class Objectives {

    private Objectives() {}

    static Objective<?> open(PipelineConfig config, TrainingSettings settings, Path base, ComponentLoader loader,
            NDManager manager) {
        return switch (settings.objective()) {
            case "causal_lm" -> new CausalLmObjective(config, settings, base, loader, manager);
            case "contrastive" -> new ContrastiveObjective(config, settings, base, loader, manager);
            case "diffusion" -> new DiffusionObjective(config, settings, base, loader, manager);
            case "autoencoder" -> new AutoencoderObjective(config, settings, base, loader, manager);
            case "patch_labels" -> new PatchLabelObjective(config, settings, base, loader, manager);
            default -> throw new IllegalStateException("objective " + settings.objective());
        };
    }
}
