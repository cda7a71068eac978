package org.mix4j.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mix4j.MixRuntime;
import org.mix4j.api.Connector;
import org.mix4j.api.LanguageModel;
import org.mix4j.api.Role;
import org.mix4j.api.VisionEncoder;
import org.mix4j.golden.GoldenCase;
import org.mix4j.nn.Autograd;
import org.mix4j.pipelines.understanding.VisionStack;
import org.mix4j.registry.MixSettings;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.tiling.NoTiler;

/**
 * A garbage collection between the forward and the backward pass must not change a gradient.
 * DJL's {@code mul(Number)} / {@code div(Number)} keep the number in a Java direct buffer that it
 * frees right after the op while autograd still holds it: every gradient through the attention
 * scaling came out NaN once a GC ran ({@link Autograd}'s scalar ops avoid it).
 */
class GarbageCollectionDuringBackwardTest {

    @Test
    void gradientsAreTheSameWithAGcBeforeEveryBackwardPass() {
        Path dir = Path.of(System.getProperty("mix.golden.dir", "../testdata/golden")).resolve("llava_train_lora");
        GoldenCase c = new GoldenCase(dir, "llava_train_lora");
        try (MixRuntime runtime = MixRuntime.start(MixSettings.builtInOnly()); NDManager m = NDManager.newBaseManager()) {
            var loader = runtime.loader().withParallel(TensorParallel.SERIAL);
            VisionEncoder encoder = loader.load("clip_vision", Role.VISION_ENCODER, dir,
                    Map.of("weights_prefix", "vision_tower."), m, DataType.FLOAT32);
            Connector connector = loader.load("mlp", Role.CONNECTOR, dir, Map.of("weights_prefix", "multi_modal_projector."),
                    m, DataType.FLOAT32);
            LanguageModel llm = loader.load("llama", Role.LANGUAGE_MODEL, dir, Map.of("weights_prefix", "language_model."),
                    m, DataType.FLOAT32);
            try (Parameters params = new Parameters(m)) {
                params.add("connector.", connector).add("llm.", llm).train(List.of("connector.*",
                        "llm.model.layers.0.input_layernorm.weight"));
                params.lora("llm.", new Lora(4, 8, 0, List.of("q_proj", "v_proj")), null, 3);
                LlavaForward forward = new LlavaForward(new VisionStack(null, new NoTiler(), encoder, null, null, connector, 8),
                        llm, c.config().get("image_token_index").getAsLong());
                NDArray pixels = c.tensor("pixel_values", m);
                NDArray ids = c.tensor("input_ids", m);
                NDArray mask = c.tensor("attention_mask", m);
                NDArray labels = c.tensor("labels", m);
                Map<String, float[]> first = null;
                for (int step = 0; step < 4; step++) {
                    Map<String, float[]> grads = new LinkedHashMap<>();
                    try (NDManager scope = m.newSubManager()) {
                        try (Autograd.Recording recording = Autograd.record()) {
                            NDArray loss = CausalLmLoss.mean(forward.logits(pixels, ids, mask, LlavaForward.positions(mask),
                                    scope), labels);
                            if (step > 0) {
                                System.gc(); // frees what the forward let go of
                            }
                            recording.backward(loss);
                        }
                        for (var e : params.trainable().entrySet()) {
                            try (NDArray g = e.getValue().getGradient()) {
                                assertFalse(g.isNaN().any().getBoolean(), e.getKey() + " at step " + step);
                                grads.put(e.getKey(), g.toFloatArray());
                                g.muli(0);
                            }
                        }
                    }
                    if (first == null) {
                        first = grads;
                    } else {
                        for (var e : first.entrySet()) {
                            float[] now = grads.get(e.getKey());
                            for (int i = 0; i < now.length; i++) {
                                assertEquals(e.getValue()[i], now[i], 1e-6, e.getKey() + "[" + i + "] at step " + step);
                            }
                        }
                    }
                }
            }
        }
    }
}
