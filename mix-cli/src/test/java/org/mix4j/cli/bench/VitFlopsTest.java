package org.mix4j.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mix4j.api.Role;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.encoders.EncoderTestSupport;
import org.mix4j.encoders.clip.ClipVisionConfig;

/**
 * The FLOP count of {@code mix bench vision} against the published image-tower costs of OpenCLIP's
 * model table (fvcore counts, one multiply-add = 1): ViT-B/16 at 224 px 17.58 G, ViT-L/14 at 336
 * px 190.7 G; here a multiply-add is 2 FLOPs.
 */
class VitFlopsTest extends EncoderTestSupport {

    private static double flops(String model) {
        Map<String, Object> shape = VisionBench.MODELS.get(model);
        ClipVisionConfig config = (ClipVisionConfig) loader.bindConfig(ComponentLoader.spec("clip_vision", null, shape),
                Role.VISION_ENCODER, null);
        return VitFlops.perImage(config);
    }

    @Test
    void matchesThePublishedCostOfTheImageTowers() {
        assertEquals(2 * 17.58e9, flops("vit-b/16-224"), 0.01 * 2 * 17.58e9);
        assertEquals(2 * 190.7e9, flops("vit-l/14-336"), 0.01 * 2 * 190.7e9);
    }

    @Test
    void growsWithTheSquareOfTheTokensOnlyInAttention() {
        Map<String, Object> shape = new java.util.HashMap<>(VisionBench.MODELS.get("vit-b/16-224"));
        shape.put("num_hidden_layers", 1);
        ClipVisionConfig one = (ClipVisionConfig) loader.bindConfig(ComponentLoader.spec("clip_vision", null, shape),
                Role.VISION_ENCODER, null);
        double d = 768;
        double tokens = 197;
        double expected = 2 * 196 * 3 * 16 * 16 * d // patch embedding
                + 2 * tokens * d * 4 * d // q, k, v, out
                + 4 * tokens * tokens * d // scores and weighted values
                + 4 * tokens * d * 3072 // fc1, fc2
                + 2 * d * 512; // visual projection
        assertEquals(expected, VitFlops.perImage(one), 1);
    }
}
