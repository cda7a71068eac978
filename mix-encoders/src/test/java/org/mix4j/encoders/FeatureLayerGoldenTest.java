package org.mix4j.encoders;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mix4j.api.EncoderOutput;
import org.mix4j.api.Role;
import org.mix4j.api.VisionEncoder;
import org.mix4j.golden.GoldenCase;
import org.mix4j.weights.Checkpoint;
import org.mix4j.weights.Weights;

/**
 * feature_layer / select settings other than the ones the golden runner uses, checked against the
 * reference tensors of the fixtures: the hidden-state semantics must be transformers' own.
 */
class FeatureLayerGoldenTest extends EncoderTestSupport {

    private static final double ATOL = 1e-4;
    private static final double RTOL = 1e-4;

    private static NDArray features(GoldenCase c, Map<String, Object> overrides, NDManager m) {
        try (VisionEncoder encoder = load(c.kind(), Role.VISION_ENCODER, c.dir(), overrides, m)) {
            EncoderOutput out = encoder.encode(c.tensor("pixel_values", m));
            return out.features();
        }
    }

    @Test
    void clipLastLayerFeaturesAreTheReferenceLastHiddenState() {
        GoldenCase c = new GoldenCase(fixture("clip_vision"), "clip_vision");
        try (NDManager m = root.newSubManager()) {
            NDArray expected = c.tensor("last_hidden_state", m); // CLIP: no post_layernorm on the tokens
            assertClose(expected, features(c, Map.of("feature_layer", -1, "select", "full"), m), ATOL, RTOL,
                    "feature_layer -1, full");
            assertClose(expected.get(new NDIndex(":, 1:, :")), features(c, Map.of("feature_layer", -1), m), ATOL, RTOL,
                    "feature_layer -1, patch");
            NDArray penultimate = c.tensor("hidden_states_penultimate", m);
            assertClose(penultimate.get(new NDIndex(":, 1:, :")), features(c, Map.of(), m), ATOL, RTOL,
                    "defaults: feature_layer -2, patch");
            assertTrue(maxAbsDiff(penultimate, expected) > 1e-2, "the fixture's layers must differ for this to test");
        }
    }

    @Test
    void siglipLastLayerFeaturesAreTheReferenceBeforePostLayernorm() {
        GoldenCase c = new GoldenCase(fixture("siglip_vision"), "siglip_vision");
        try (NDManager m = root.newSubManager(); Checkpoint checkpoint = Checkpoint.open(c.dir())) {
            NDArray lastLayer = features(c, Map.of("feature_layer", -1, "select", "full"), m);
            Weights weights = checkpoint.weights(m, DataType.FLOAT32);
            float[] gamma = weights.get("vision_model.post_layernorm.weight").toFloatArray();
            float[] beta = weights.get("vision_model.post_layernorm.bias").toFloatArray();
            double eps = c.config().get("layer_norm_eps").getAsDouble();
            NDArray normed = m.create(layerNorm(lastLayer.toFloatArray(), gamma, beta, eps), lastLayer.getShape());
            assertClose(c.tensor("last_hidden_state", m), normed, ATOL, RTOL,
                    "post_layernorm(feature_layer -1) = last_hidden_state");
            assertClose(c.tensor("hidden_states_penultimate", m), features(c, Map.of("select", "patch"), m), ATOL, RTOL,
                    "no CLS: select patch keeps every token");
        }
    }

    /** LayerNorm over rows of {@code gamma.length}, in double, independent of the model code. */
    private static float[] layerNorm(float[] x, float[] gamma, float[] beta, double eps) {
        int d = gamma.length;
        float[] out = new float[x.length];
        for (int row = 0; row < x.length / d; row++) {
            double mean = 0;
            double var = 0;
            for (int i = 0; i < d; i++) {
                mean += x[row * d + i];
            }
            mean /= d;
            for (int i = 0; i < d; i++) {
                var += Math.pow(x[row * d + i] - mean, 2);
            }
            var /= d;
            for (int i = 0; i < d; i++) {
                out[row * d + i] = (float) ((x[row * d + i] - mean) / Math.sqrt(var + eps) * gamma[i] + beta[i]);
            }
        }
        return out;
    }
}
