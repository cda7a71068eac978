package org.mix4j.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.mix4j.api.Trainable;
import org.mix4j.tensor.TensorParallel;

/**
 * Training some tensors of a composed model leaves every other tensor untouched: after AdamW steps
 * on the projector, a vision layer norm and LoRA adapters of the language model, every frozen
 * tensor (fused q/k/v and gate/up matrices included) is bit-identical and keeps no gradient.
 */
class FrozenPartsTest extends WithRuntime {

    @Test
    void frozenTensorsStayBitIdenticalAndKeepNoGradient() {
        try (TinyLlava llava = TinyLlava.fixture(runtime.loader(), TensorParallel.SERIAL, manager)
                        .trainProjectorNormAndLora();
                AdamW adamw = new AdamW(AdamW.Settings.DEFAULT, manager)) {
            Map<String, NDArray> trainable = llava.params.trainable();
            Map<String, NDArray> frozen = frozen(llava);
            assertTrue(frozen.size() > 40, "only " + frozen.size() + " frozen tensors: " + frozen.keySet());
            assertTrue(frozen.keySet().stream().anyMatch(n -> n.contains("fused")), frozen.keySet().toString());
            Map<String, byte[]> before = bytes(frozen);
            Map<String, byte[]> trainedBefore = bytes(trainable);
            double[] losses = new double[4];
            for (int k = 0; k < losses.length; k++) {
                losses[k] = llava.step(adamw, 1e-2);
            }
            assertTrue(losses[3] < losses[0], "training did not lower the loss: " + Arrays.toString(losses));
            frozen.forEach((name, t) -> {
                assertFalse(t.hasGradient(), name + " requires a gradient");
                assertArrayEquals(before.get(name), t.toByteArray(), name + " changed");
            });
            trainable.forEach((name, t) -> assertFalse(Arrays.equals(trainedBefore.get(name), t.toByteArray()),
                    name + " did not train"));
            System.out.printf("frozen parts: %d frozen tensors unchanged, %d trained, loss %s%n", frozen.size(),
                    trainable.size(), Arrays.toString(losses));
        }
    }

    /**
     * Every tensor of the three components that does not train: the listed ones (fused q/k/v and
     * gate/up as views of their rows), and the fused matrices behind those views themselves.
     */
    private static Map<String, NDArray> frozen(TinyLlava llava) {
        Set<NDArray> trained = Collections.newSetFromMap(new IdentityHashMap<>());
        trained.addAll(llava.params.trainable().values());
        Set<NDArray> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Map<String, NDArray> out = new LinkedHashMap<>();
        llava.params.all().forEach((name, t) -> {
            if (!trained.contains(t) && seen.add(t)) {
                out.put(name, t);
            }
        });
        Map<String, Object> components = Map.of("vision_tower.", llava.encoder, "multi_modal_projector.",
                llava.connector, "language_model.", llava.llm);
        components.forEach((prefix, c) -> ((Trainable) c).projections().forEach((module, p) -> {
            for (NDArray t : new NDArray[] {p.linear().weight(), p.linear().bias()}) {
                if (t != null && !trained.contains(t) && seen.add(t)) {
                    out.put(prefix + module + " (fused " + (t == p.linear().weight() ? "weight" : "bias") + ")", t);
                }
            }
        }));
        return out;
    }

    private static Map<String, byte[]> bytes(Map<String, NDArray> tensors) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        tensors.forEach((name, t) -> out.put(name, t.toByteArray()));
        return out;
    }
}
