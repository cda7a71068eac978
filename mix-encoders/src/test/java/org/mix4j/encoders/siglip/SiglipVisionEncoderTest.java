package org.mix4j.encoders.siglip;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mix4j.api.EncoderOutput;
import org.mix4j.api.VisionEncoder;
import org.mix4j.encoders.VisionEncoderContract;

class SiglipVisionEncoderTest extends VisionEncoderContract {

    @Override
    protected String type() {
        return "siglip_vision";
    }

    @Override
    protected int prefixTokens() {
        return 0;
    }

    /**
     * SigLIP's last_hidden_state is post_layernorm of every token; random init gives that norm
     * scale 1 and bias 0, so it is the per-token standardisation of the last layer output, which is
     * recomputed here in plain Java.
     */
    @Override
    protected void assertLastHiddenStateSemantics(NDArray lastLayerOutput, NDArray lastHiddenState) {
        assertTrue(maxAbsDiff(lastLayerOutput, lastHiddenState) > 1e-3, "feature_layer -1 is before post_layernorm");
        float[] x = lastLayerOutput.toFloatArray();
        float[] expected = new float[x.length];
        int d = (int) lastLayerOutput.getShape().get(2);
        for (int row = 0; row < x.length / d; row++) {
            double mean = 0;
            for (int i = 0; i < d; i++) {
                mean += x[row * d + i];
            }
            mean /= d;
            double var = 0;
            for (int i = 0; i < d; i++) {
                var += (x[row * d + i] - mean) * (x[row * d + i] - mean);
            }
            var /= d;
            for (int i = 0; i < d; i++) {
                expected[row * d + i] = (float) ((x[row * d + i] - mean) / Math.sqrt(var + 1e-6));
            }
        }
        assertClose(lastLayerOutput.getManager().create(expected, lastLayerOutput.getShape()), lastHiddenState, 1e-5,
                1e-5, "last_hidden_state = post_layernorm(hidden_states[-1])");
    }

    @Test
    void hasNoPooledOutputWithoutTheHead() {
        try (NDManager m = root.newSubManager(); VisionEncoder encoder = tiny(Map.of("vision_use_head", false), m)) {
            EncoderOutput out = encoder.encode(pixels(m, 1));
            assertNull(out.pooled());
            assertNull(out.embeds());
        }
    }
}
