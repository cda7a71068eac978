package org.mix4j.diffusion.lora;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.mix4j.api.Trainable;
import org.mix4j.nn.Linear;
import org.mix4j.nn.LoraUpdate;

/**
 * A LoRA file as per-call adapters of a loaded UNet ({@link org.mix4j.nn.CallAdapters}): the
 * same update {@link LoraWeights} merges, {@code scale * (alpha / rank) * up @ down}, computed
 * unmerged as {@code scale * (alpha / rank) * up(down(x))} on the linears (attention, feed-forward,
 * time embedding, and the 1x1 convolutions of {@code proj_in}/{@code proj_out}, which run as
 * linears). Other convolutions (LoCon's 3x3 kernels) have no unmerged path: such a file is refused
 * naming the modules.
 */
public final class LoraUpdates {

    private LoraUpdates() {}

    /**
     * @param adaptable the model's linears by module name ({@link org.mix4j.weights.LoadReport#adaptableUnder})
     * @param model the model, for messages
     * @param manager receives the factors; the result owns it (closed here on failure)
     */
    public static LoraUpdate load(Path file, Map<String, Trainable.Projection> adaptable, String model,
            NDManager manager) {
        try (LoraAdapter lora = new LoraAdapter(file, 1.0)) {
            Map<Linear, List<Linear.Adapter>> adapters = new IdentityHashMap<>();
            adaptable.forEach((module, p) -> {
                Linear linear = p.linear();
                LoraAdapter.Factors f = lora.factors(module, p.to() - p.from(), linear.inFeatures(),
                        linear.dataType(), manager);
                if (f != null) {
                    adapters.computeIfAbsent(linear, l -> new java.util.ArrayList<>())
                            .add(new Linear.Adapter(p.from(), p.to(), f.down(), f.up(), f.scaling()));
                }
            });
            if (!lora.unmatched().isEmpty()) {
                throw new IllegalArgumentException(file.getFileName() + ": " + lora.unmatched().size() + " LoRA modules "
                        + "have no per-call path in " + model + " (convolutions such as LoCon's, or modules of "
                        + "another architecture), e.g. " + lora.unmatched().stream().limit(3).toList()
                        + "; merge such a LoRA at load instead (the denoiser section's lora:)");
            }
            return new LoraUpdate(file.toString(), adapters, manager);
        } catch (RuntimeException | Error e) {
            manager.close();
            throw e;
        }
    }
}
