package org.mix4j.encoders.siglip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.mix4j.api.Role;
import org.mix4j.api.Trainable;
import org.mix4j.api.VisionEncoder;
import org.mix4j.encoders.EncoderTestSupport;
import org.mix4j.golden.GoldenCase;
import org.mix4j.weights.Checkpoint;

/**
 * SigLIP lists every checkpoint tensor: the layers' q/k/v as views of the fused matrix, and the
 * pooling head's probe and {@code in_proj_*} as stored, which the head then reads per call.
 */
class SiglipParametersTest extends EncoderTestSupport {

    @Test
    void listsExactlyTheTensorsOfTheCheckpoint() {
        Path dir = fixture("siglip_vision");
        Map<String, Shape> expected = new TreeMap<>();
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            checkpoint.tensors().forEach((name, info) -> expected.put(name, info.shape()));
        }
        try (NDManager m = root.newSubManager();
                VisionEncoder vision = load("siglip_vision", Role.VISION_ENCODER, dir, Map.of(), m)) {
            Map<String, Shape> listed = new TreeMap<>();
            ((Trainable) vision).parameters().forEach((name, t) -> listed.put(name, t.getShape()));
            assertEquals(expected, listed);
        }
    }

    @Test
    void theListedHeadGivesTheSamePoolingAndReadsItsProbe() {
        GoldenCase c = new GoldenCase(fixture("siglip_vision"), "siglip_vision");
        try (NDManager m = root.newSubManager();
                VisionEncoder vision = load("siglip_vision", Role.VISION_ENCODER, c.dir(), Map.of(), m)) {
            NDArray pixels = c.tensor("pixel_values", m);
            NDArray before = vision.encode(pixels).pooled();
            Map<String, NDArray> params = ((Trainable) vision).parameters();
            float listed = vision.encode(pixels).pooled().sub(before).abs().max().getFloat();
            assertTrue(listed < 1e-5, "the listed head pools differently: " + listed);
            for (String name : new String[] {"vision_model.head.probe", "vision_model.head.attention.in_proj_weight",
                    "vision_model.encoder.layers.0.self_attn.v_proj.bias"}) {
                NDArray previous = vision.encode(pixels).pooled();
                params.get(name).stopGradient().muli(2); // in place, as the optimizer updates
                assertTrue(vision.encode(pixels).pooled().sub(previous).abs().max().getFloat() > 1e-5,
                        name + " is not what the forward reads");
            }
        }
    }
}
