package org.mix4j.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.mix4j.api.Trainable;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.compose.ComponentSpec;
import org.mix4j.pipelines.task.PipelineConfig;

/**
 * A pipeline's components as training sees them: the parameters of each present slot under
 * {@code slot.}, {@code trainable:} (slots or globs) marked, {@code lora:} adapters added, and each
 * slot's spec for {@link ModelWriter}.
 */
final class TrainedSlots implements AutoCloseable {

    private final Parameters params;
    private final Map<String, ComponentSpec> specs = new LinkedHashMap<>();
    private final Map<String, Object> components = new LinkedHashMap<>();
    private final NDManager manager;

    private TrainedSlots(NDManager manager) {
        this.manager = manager;
        this.params = new Parameters(manager);
    }

    /**
     * @param slots the slots that may train, in order
     * @param component the loaded component of a slot, or {@code null} when the pipeline has none
     */
    static TrainedSlots of(PipelineConfig config, List<String> slots, Function<String, Object> component,
            TrainingSettings settings, NDManager manager) {
        return of(config, slots, component, Map.of(), settings, manager);
    }

    /**
     * @param extra tensors of no slot (CLIP's {@code logit_scale}), under their own names: they train
     *     when {@code trainable:} names them
     */
    static TrainedSlots of(PipelineConfig config, List<String> slots, Function<String, Object> component,
            Map<String, NDArray> extra, TrainingSettings settings, NDManager manager) {
        TrainedSlots t = new TrainedSlots(manager);
        try {
            t.params.add("", (Trainable) () -> extra);
            for (String slot : slots) {
                Object c = component.apply(slot);
                if (c != null) {
                    t.params.add(slot + ".", c);
                    t.specs.put(slot, config.component(slot) != null ? config.component(slot)
                            : ComponentLoader.spec(null, config.checkpoint(), Map.of()));
                    t.components.put(slot, c);
                }
            }
            t.params.train(settings.trainable().stream().map(s -> t.specs.containsKey(s) ? s + ".*" : s).toList());
            if (settings.lora() != null) {
                String slot = settings.lora().slot();
                if (!t.specs.containsKey(slot)) {
                    throw new IllegalArgumentException("lora slot '" + slot + "' is not one of " + t.specs.keySet());
                }
                t.params.lora(slot + ".", settings.lora().lora(), null, settings.seed());
            }
            return t;
        } catch (RuntimeException | Error e) {
            t.close();
            throw e;
        }
    }

    Parameters parameters() {
        return params;
    }

    Map<String, ComponentSpec> specs() {
        return specs;
    }

    Map<String, Object> components() {
        return components;
    }

    NDManager manager() {
        return manager;
    }

    @Override
    public void close() {
        params.close();
    }
}
