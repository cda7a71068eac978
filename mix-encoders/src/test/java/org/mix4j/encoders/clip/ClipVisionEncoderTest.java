package org.mix4j.encoders.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mix4j.api.EncoderOutput;
import org.mix4j.api.VisionEncoder;
import org.mix4j.encoders.VisionEncoderContract;

class ClipVisionEncoderTest extends VisionEncoderContract {

    @Override
    protected String type() {
        return "clip_vision";
    }

    @Override
    protected int prefixTokens() {
        return 1;
    }

    @Override
    protected Map<String, Object> tinyConfig() {
        Map<String, Object> m = super.tinyConfig();
        m.put("projection_dim", 8);
        return m;
    }

    /** transformers' CLIP applies post_layernorm to the pooled CLS token only. */
    @Override
    protected void assertLastHiddenStateSemantics(NDArray lastLayerOutput, NDArray lastHiddenState) {
        assertArrayEquals(lastHiddenState.toFloatArray(), lastLayerOutput.toFloatArray());
    }

    @Test
    void projectsThePooledTokenToProjectionDim() {
        try (NDManager m = root.newSubManager(); VisionEncoder encoder = tiny(Map.of(), m)) {
            EncoderOutput out = encoder.encode(pixels(m, 3));
            assertEquals(new Shape(3, 8), out.embeds().getShape());
        }
    }
}
