package org.mix4j.llm.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Rotary frequencies against values worked out by hand from the formulas. */
class RotaryEmbeddingTest {

    @Test
    void defaultFrequenciesArePowersOfTheBase() {
        // dim 8, theta 10^4: 1 / 10^(4 * 2i / 8) = 1, 0.1, 0.01, 0.001
        assertArrayEquals(new float[] {1f, 0.1f, 0.01f, 0.001f},
                RotaryEmbedding.inverseFrequencies(8, 10000, RopeScaling.NONE), 1e-7f);
    }

    @Test
    void linearScalingDividesEveryFrequency() {
        RopeScaling linear = RopeScaling.parse(Map.of("type", "linear", "factor", 4.0));
        assertArrayEquals(new float[] {0.25f, 0.025f, 0.0025f, 0.00025f},
                RotaryEmbedding.inverseFrequencies(8, 10000, linear), 1e-8f);
    }

    @Test
    void llama3ScalingKeepsHighInterpolatesLowAndBlendsTheMiddle() {
        // original context 100, low 1, high 4: wavelengths 2pi/f = 6.28 (< 25: kept), 62.8 (between 25
        // and 100: blended with s = (100 / 62.83 - 1) / 3 = 0.19718, (1 - s) * 0.1 / 8 + s * 0.1 =
        // 0.0297535), 628 and 6283 (> 100: divided by 8)
        RopeScaling llama3 = RopeScaling.parse(Map.of("rope_type", "llama3", "factor", 8.0, "low_freq_factor", 1.0,
                "high_freq_factor", 4.0, "original_max_position_embeddings", 100));
        float[] inv = RotaryEmbedding.inverseFrequencies(8, 10000, llama3);
        assertEquals(1f, inv[0], 1e-7f);
        assertEquals(0.0297535f, inv[1], 1e-6f);
        assertEquals(0.00125f, inv[2], 1e-8f);
        assertEquals(0.000125f, inv[3], 1e-9f);
    }

    @Test
    void unknownScalingTypeListsTheSupportedOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RopeScaling.parse(Map.of("rope_type", "dynamic", "factor", 2.0)));
        assertEquals("rope_scaling type 'dynamic' is not supported; supported: [default, linear, llama3]", e.getMessage());
    }
}
