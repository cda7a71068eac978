package org.mix4j.encoders.clip;

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
import org.mix4j.api.TextEncoder;
import org.mix4j.api.Trainable;
import org.mix4j.api.VisionEncoder;
import org.mix4j.encoders.EncoderTestSupport;
import org.mix4j.golden.GoldenCase;
import org.mix4j.weights.Checkpoint;

/**
 * Both CLIP towers list their fused q/k/v under the checkpoint's names and shapes, as views of the
 * fused matrix: together with {@code logit_scale} they are exactly the CLIPModel checkpoint.
 */
class ClipParametersTest extends EncoderTestSupport {

    @Test
    void theTowersListExactlyTheTensorsOfTheCheckpoint() {
        Path dir = fixture("clip_full");
        Map<String, Shape> expected = new TreeMap<>();
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            checkpoint.tensors().forEach((name, info) -> expected.put(name, info.shape()));
        }
        try (NDManager m = root.newSubManager();
                VisionEncoder vision = load("clip_vision", Role.VISION_ENCODER, dir, Map.of(), m);
                TextEncoder text = load("clip_text", Role.TEXT_ENCODER, dir, Map.of(), m)) {
            Map<String, Shape> listed = new TreeMap<>();
            ((Trainable) vision).parameters().forEach((name, t) -> listed.put(name, t.getShape()));
            ((Trainable) text).parameters().forEach((name, t) -> assertEquals(null, listed.put(name, t.getShape()), name));
            listed.put("logit_scale", expected.get("logit_scale")); // the dual model's, not a tower's
            assertEquals(expected, listed);
        }
    }

    @Test
    void anUpdatedKeyProjectionReachesTheForward() {
        GoldenCase c = new GoldenCase(fixture("clip_full"), "clip_full");
        try (NDManager m = root.newSubManager();
                VisionEncoder vision = load("clip_vision", Role.VISION_ENCODER, c.dir(), Map.of(), m)) {
            NDArray pixels = c.tensor("pixel_values", m);
            NDArray before = vision.encode(pixels).pooled();
            Map<String, NDArray> params = ((Trainable) vision).parameters();
            assertEquals(0, vision.encode(pixels).pooled().sub(before).abs().max().getFloat(), "listing changed the output");
            NDArray k = params.get("vision_model.encoder.layers.0.self_attn.k_proj.weight");
            k.stopGradient().muli(3); // in place, as the optimizer updates
            assertTrue(vision.encode(pixels).pooled().sub(before).abs().max().getFloat() > 1e-5,
                    "the forward does not read the listed k_proj");
        }
    }
}
