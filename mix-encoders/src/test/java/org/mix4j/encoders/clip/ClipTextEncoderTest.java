package org.mix4j.encoders.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mix4j.api.EncoderOutput;
import org.mix4j.api.Role;
import org.mix4j.api.TextEncoder;
import org.mix4j.encoders.EncoderTestSupport;

/** The text tower's contract on a tiny randomly initialised model built through the loader. */
class ClipTextEncoderTest extends EncoderTestSupport {

    private static final int HIDDEN = 16;
    private static final int LAYERS = 3;
    private static final int VOCAB = 50;
    private static final int EOS = 49;
    private static final int POSITIONS = 10;

    private static TextEncoder tiny(Map<String, Object> extra, NDManager manager) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("init", "random");
        m.put("seed", 3);
        m.put("vocab_size", VOCAB);
        m.put("hidden_size", HIDDEN);
        m.put("intermediate_size", 2 * HIDDEN);
        m.put("num_hidden_layers", LAYERS);
        m.put("num_attention_heads", 4);
        m.put("max_position_embeddings", POSITIONS);
        m.put("projection_dim", 8);
        m.put("eos_token_id", EOS);
        m.putAll(extra);
        return load("clip_text", Role.TEXT_ENCODER, null, m, manager);
    }

    private static NDArray ids(NDManager m, long[][] rows) {
        return m.create(rows);
    }

    private static NDArray row(NDArray x, int b, int t) {
        return x.get(new NDIndex("{}, {}, :", b, t));
    }

    @Test
    void outputsFollowTheConfiguredSizes() {
        try (NDManager m = root.newSubManager(); TextEncoder encoder = tiny(Map.of(), m)) {
            EncoderOutput out = encoder.encode(ids(m, new long[][] {{1, 2, EOS, 0}, {3, 4, 5, EOS}}), null);
            assertEquals(new Shape(2, 4, HIDDEN), out.lastHiddenState().getShape());
            assertEquals(new Shape(2, HIDDEN), out.pooled().getShape());
            assertEquals(new Shape(2, 8), out.embeds().getShape());
            assertEquals(HIDDEN, encoder.hiddenSize());
            assertEquals(POSITIONS, encoder.maxPositions());
        }
    }

    @Test
    void encodeIsDeterministic() {
        try (NDManager m = root.newSubManager(); TextEncoder a = tiny(Map.of(), m); TextEncoder b = tiny(Map.of(), m)) {
            NDArray x = ids(m, new long[][] {{1, 2, 3, EOS}});
            assertArrayEquals(a.encode(x, null).lastHiddenState().toFloatArray(),
                    a.encode(x, null).lastHiddenState().toFloatArray());
            assertArrayEquals(a.encode(x, null).embeds().toFloatArray(), b.encode(x, null).embeds().toFloatArray());
        }
    }

    @Test
    void pooledOutputIsTheFirstEosTokenOfEachRow() {
        try (NDManager m = root.newSubManager(); TextEncoder encoder = tiny(Map.of(), m)) {
            // row 0: EOS at 2 and 4 (the first counts); row 1: no EOS at all (position 0, as argmax gives)
            EncoderOutput out = encoder.encode(ids(m, new long[][] {{7, 8, EOS, 9, EOS}, {7, 8, 9, 10, 11}}), null);
            assertArrayEquals(row(out.lastHiddenState(), 0, 2).toFloatArray(), out.pooled().get(0).toFloatArray());
            assertArrayEquals(row(out.lastHiddenState(), 1, 0).toFloatArray(), out.pooled().get(1).toFloatArray());
        }
    }

    @Test
    void legacyConfigsWithEosTokenId2PoolAtTheLargestId() {
        try (NDManager m = root.newSubManager(); TextEncoder encoder = tiny(Map.of("eos_token_id", 2), m)) {
            EncoderOutput out = encoder.encode(ids(m, new long[][] {{1, 2, 40, 3}, {45, 2, 2, 1}}), null);
            assertArrayEquals(row(out.lastHiddenState(), 0, 2).toFloatArray(), out.pooled().get(0).toFloatArray());
            assertArrayEquals(row(out.lastHiddenState(), 1, 0).toFloatArray(), out.pooled().get(1).toFloatArray());
        }
    }

    @Test
    void paddingMaskHidesMaskedTokensFromEveryOtherPosition() {
        try (NDManager m = root.newSubManager(); TextEncoder encoder = tiny(Map.of(), m)) {
            NDArray mask = m.create(new long[][] {{1, 0, 1, 1, 1}});
            NDArray a = encoder.encode(ids(m, new long[][] {{5, 6, 7, 8, EOS}}), mask).lastHiddenState();
            NDArray b = encoder.encode(ids(m, new long[][] {{5, 30, 7, 8, EOS}}), mask).lastHiddenState();
            for (int t : new int[] {0, 2, 3, 4}) {
                assertArrayEquals(row(a, 0, t).toFloatArray(), row(b, 0, t).toFloatArray(), "position " + t);
            }
            NDArray unmasked = encoder.encode(ids(m, new long[][] {{5, 30, 7, 8, EOS}}), null).lastHiddenState();
            assertTrue(maxAbsDiff(row(b, 0, 3), row(unmasked, 0, 3)) > 1e-4, "without the mask position 1 is seen");
        }
    }

    @Test
    void causalMaskHidesLaterTokens() {
        try (NDManager m = root.newSubManager(); TextEncoder encoder = tiny(Map.of(), m)) {
            NDArray a = encoder.encode(ids(m, new long[][] {{5, 6, 7, 8}}), null).lastHiddenState();
            NDArray b = encoder.encode(ids(m, new long[][] {{5, 6, 7, 20}}), null).lastHiddenState();
            assertArrayEquals(a.get(new NDIndex(":, :3, :")).toFloatArray(), b.get(new NDIndex(":, :3, :")).toFloatArray());
            assertTrue(maxAbsDiff(row(a, 0, 3), row(b, 0, 3)) > 1e-4);
        }
    }

    @Test
    void featureLayerSelectsHiddenStatesBeforeTheFinalLayerNorm() {
        try (NDManager m = root.newSubManager()) {
            NDArray x = ids(m, new long[][] {{5, 6, 7, EOS}});
            try (TextEncoder plain = tiny(Map.of(), m);
                    TextEncoder penultimate = tiny(Map.of("feature_layer", -2), m);
                    TextEncoder shallow = tiny(Map.of("num_hidden_layers", LAYERS - 1, "feature_layer", -1), m)) {
                EncoderOutput out = plain.encode(x, null);
                assertArrayEquals(out.lastHiddenState().toFloatArray(), out.features().toFloatArray(),
                        "without feature_layer, features are last_hidden_state");
                assertArrayEquals(shallow.encode(x, null).features().toFloatArray(),
                        penultimate.encode(x, null).features().toFloatArray(), "hidden_states[-2]");
            }
        }
    }

    @Test
    void rejectsSequencesLongerThanThePositionEmbedding() {
        try (NDManager m = root.newSubManager(); TextEncoder encoder = tiny(Map.of(), m)) {
            NDArray tooLong = m.zeros(new Shape(1, POSITIONS + 1), ai.djl.ndarray.types.DataType.INT64);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> encoder.encode(tooLong, null));
            assertTrue(e.getMessage().contains("max_position_embeddings"), e.getMessage());
        }
    }

    @Test
    void forwardLeavesOnlyItsOutputsBehind() {
        try (NDManager models = root.newSubManager(); NDManager caller = root.newSubManager();
                TextEncoder encoder = tiny(Map.of(), models)) {
            int modelArrays = models.getManagedArrays().size();
            assertTrue(modelArrays > 0);
            NDArray x = ids(caller, new long[][] {{1, 2, EOS}, {3, EOS, 0}});
            NDArray mask = caller.create(new long[][] {{1, 1, 1}, {1, 1, 0}});
            for (int i = 0; i < 3; i++) {
                EncoderOutput out = encoder.encode(x, mask);
                assertEquals(2 + 4, caller.getManagedArrays().size(), "caller holds the two inputs and four outputs");
                assertEquals(modelArrays, models.getManagedArrays().size(), "the model's memory does not grow");
                new ai.djl.ndarray.NDList(out.lastHiddenState(), out.pooled(), out.embeds(), out.features()).close();
            }
        }
    }
}
