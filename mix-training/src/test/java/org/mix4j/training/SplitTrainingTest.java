package org.mix4j.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.mix4j.tensor.TensorParallel;

/**
 * Components loaded to split their large ops over two ways train exactly as whole ones: the same
 * training step gives the same loss and gradients. While recording, split ops run their parts on
 * the calling thread (grad mode is per thread), and a linear whose weight or input needs a gradient
 * runs whole; frozen parts still take their split paths.
 */
class SplitTrainingTest extends WithRuntime {

    private static final double TOLERANCE = 1e-6;


    @Test
    void frozenTowerSplitGivesTheSameGradients() {
        compare(l -> l.trainProjectorNormAndLora());
    }

    @Test
    void everythingTrainingSplitGivesTheSameGradients() {
        compare(l -> {
            l.params.train(List.of("*"));
            l.params.lora("vision_tower.", new Lora(2, 4, 0, List.of("q_proj", "v_proj")), null, 5);
            // split, the LLaMA MLP used to skip down_proj's forward and so its adapters
            l.params.lora("language_model.", new Lora(2, 4, 0, List.of("down_proj", "o_proj")), null, 6);
        });
    }

    private static void compare(Consumer<TinyLlava> training) {
        Map<String, float[]> whole = new LinkedHashMap<>();
        Map<String, float[]> split = new LinkedHashMap<>();
        double lossWhole = gradients(TensorParallel.SERIAL, training, whole);
        double lossSplit = gradients(TensorParallel.of(2), training, split);
        assertEquals(lossWhole, lossSplit, TOLERANCE, "loss");
        assertEquals(whole.keySet(), split.keySet());
        double worst = 0;
        String worstAt = "";
        for (String name : whole.keySet()) {
            float[] a = whole.get(name);
            float[] b = split.get(name);
            for (int i = 0; i < a.length; i++) {
                double diff = Math.abs(a[i] - b[i]);
                if (diff > worst) {
                    worst = diff;
                    worstAt = name + "[" + i + "]";
                }
            }
        }
        System.out.printf("split training: %d gradients, largest difference %.2e at %s (loss %.6f vs %.6f)%n",
                whole.size(), worst, worstAt, lossWhole, lossSplit);
        assertTrue(worst <= TOLERANCE, "gradients differ by " + worst + " at " + worstAt);
    }

    private static double gradients(TensorParallel parallel, Consumer<TinyLlava> training, Map<String, float[]> out) {
        try (TinyLlava llava = TinyLlava.splittable(runtime.loader(), parallel, manager);
                NDManager step = manager.newSubManager()) {
            training.accept(llava);
            double loss = llava.backward(step);
            llava.params.trainable().forEach((name, p) -> {
                try (NDArray g = p.getGradient()) {
                    out.put(name, g.toFloatArray());
                }
            });
            return loss;
        }
    }
}
