package org.mix4j.encoders;

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
import org.mix4j.api.TokenGrid;
import org.mix4j.api.VisionEncoder;

/**
 * What every {@link VisionEncoder} of this module guarantees, checked on a tiny randomly
 * initialised instance built through the normal loader ({@code init: random}, no checkpoint).
 * Random weights are drawn per tensor name, so models of different depth share their first layers,
 * which lets {@code feature_layer} be checked against a shallower model.
 */
public abstract class VisionEncoderContract extends EncoderTestSupport {

    protected static final int HIDDEN = 16;
    protected static final int LAYERS = 3;
    protected static final int IMAGE = 24;
    protected static final int PATCH = 6;

    /** The YAML type. */
    protected abstract String type();

    /** Tokens before the patch grid in {@code select: full} (CLS). */
    protected abstract int prefixTokens();

    /**
     * Checks that {@code lastHiddenState} relates to the last layer's output ({@code feature_layer:
     * -1}, {@code select: full}) as the architecture defines.
     */
    protected abstract void assertLastHiddenStateSemantics(NDArray lastLayerOutput, NDArray lastHiddenState);

    /** Architecture keys of the tiny model; subclasses may add their own. */
    protected Map<String, Object> tinyConfig() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("init", "random");
        m.put("seed", 11);
        m.put("hidden_size", HIDDEN);
        m.put("intermediate_size", 2 * HIDDEN);
        m.put("num_hidden_layers", LAYERS);
        m.put("num_attention_heads", 2);
        m.put("image_size", IMAGE);
        m.put("patch_size", PATCH);
        return m;
    }

    protected VisionEncoder tiny(Map<String, Object> extra, NDManager manager) {
        Map<String, Object> overrides = tinyConfig();
        overrides.putAll(extra);
        return load(type(), Role.VISION_ENCODER, null, overrides, manager);
    }

    protected NDArray pixels(NDManager manager, int batch) {
        return randomInput(manager, new Shape(batch, 3, IMAGE, IMAGE), 5);
    }

    private NDArray features(Map<String, Object> extra, NDArray pixels) {
        try (VisionEncoder encoder = tiny(extra, root)) {
            return encoder.encode(pixels).features();
        }
    }

    @Test
    void featuresFollowTheConfiguredSizesForPatchAndFull() {
        try (NDManager m = root.newSubManager()) {
            int grid = IMAGE / PATCH;
            for (String select : new String[] {"patch", "full"}) {
                try (VisionEncoder encoder = tiny(Map.of("select", select), m)) {
                    EncoderOutput out = encoder.encode(pixels(m, 2));
                    int prefix = select.equals("full") ? prefixTokens() : 0;
                    assertEquals(new Shape(2, (long) grid * grid + prefix, HIDDEN), out.features().getShape(), select);
                    assertEquals(new Shape(2, (long) grid * grid + prefixTokens(), HIDDEN),
                            out.lastHiddenState().getShape());
                    assertEquals(new Shape(2, HIDDEN), out.pooled().getShape());
                    assertEquals(HIDDEN, encoder.hiddenSize());
                    assertEquals(IMAGE, encoder.imageSize());
                }
            }
        }
    }

    @Test
    void encodeIsDeterministicAcrossCallsAndLoads() {
        try (NDManager m = root.newSubManager()) {
            NDArray x = pixels(m, 2);
            try (VisionEncoder a = tiny(Map.of(), m); VisionEncoder b = tiny(Map.of(), m)) {
                EncoderOutput first = a.encode(x);
                EncoderOutput again = a.encode(x);
                EncoderOutput other = b.encode(x);
                assertArrayEquals(first.features().toFloatArray(), again.features().toFloatArray());
                assertArrayEquals(first.pooled().toFloatArray(), again.pooled().toFloatArray());
                assertArrayEquals(first.features().toFloatArray(), other.features().toFloatArray());
            }
        }
    }

    @Test
    void featureLayerIndexesHiddenStatesAsTransformersDoes() {
        try (NDManager m = root.newSubManager()) {
            NDArray x = pixels(m, 2);
            for (int depth = 1; depth < LAYERS; depth++) {
                // hidden_states[depth] of the deep model is the last layer output of a model that deep
                NDArray deep = features(Map.of("feature_layer", depth, "select", "full"), x);
                NDArray shallow = features(Map.of("num_hidden_layers", depth, "feature_layer", -1, "select", "full"), x);
                assertClose(shallow, deep, 1e-6, 1e-6, "feature_layer " + depth);
                NDArray negative = features(Map.of("feature_layer", depth - (LAYERS + 1), "select", "full"), x);
                assertArrayEquals(deep.toFloatArray(), negative.toFloatArray(), "feature_layer " + (depth - LAYERS - 1));
            }
            NDArray last = features(Map.of("feature_layer", -1, "select", "full"), x);
            NDArray lastByIndex = features(Map.of("feature_layer", LAYERS, "select", "full"), x);
            assertArrayEquals(last.toFloatArray(), lastByIndex.toFloatArray());
            NDArray embeddings = features(Map.of("feature_layer", 0, "select", "full"), x);
            NDArray embeddingsNegative = features(Map.of("feature_layer", -(LAYERS + 1), "select", "full"), x);
            assertArrayEquals(embeddings.toFloatArray(), embeddingsNegative.toFloatArray());
            assertTrue(maxAbsDiff(embeddings, last) > 1e-3, "layer 0 and the last layer must differ");
        }
    }

    @Test
    void lastLayerFeaturesRelateToLastHiddenStateAsTheArchitectureDefines() {
        try (NDManager m = root.newSubManager();
                VisionEncoder encoder = tiny(Map.of("feature_layer", -1, "select", "full"), m)) {
            EncoderOutput out = encoder.encode(pixels(m, 2));
            assertLastHiddenStateSemantics(out.features(), out.lastHiddenState());
        }
    }

    @Test
    void patchSelectionDropsOnlyThePrefixTokens() {
        try (NDManager m = root.newSubManager()) {
            NDArray x = pixels(m, 1);
            NDArray full = features(Map.of("select", "full"), x);
            NDArray patch = features(Map.of("select", "patch"), x);
            NDArray tail = full.get(new NDIndex(":, " + prefixTokens() + ":, :"));
            assertArrayEquals(tail.toFloatArray(), patch.toFloatArray());
        }
    }

    @Test
    void gridDescribesTheFeatures() {
        try (NDManager m = root.newSubManager()) {
            for (String select : new String[] {"patch", "full"}) {
                try (VisionEncoder encoder = tiny(Map.of("select", select), m)) {
                    TokenGrid grid = encoder.grid(IMAGE, IMAGE);
                    EncoderOutput out = encoder.encode(pixels(m, 1));
                    assertEquals(IMAGE / PATCH, grid.rows());
                    assertEquals(IMAGE / PATCH, grid.cols());
                    assertEquals(select.equals("full") ? prefixTokens() : 0, grid.prefixTokens());
                    assertEquals(grid, out.grid());
                    assertEquals(grid.tokens(), out.features().getShape().get(1));
                }
            }
        }
    }

    @Test
    void rejectsPixelsOfAnotherSize() {
        try (NDManager m = root.newSubManager(); VisionEncoder encoder = tiny(Map.of(), m)) {
            NDArray wrong = randomInput(m, new Shape(1, 3, IMAGE + PATCH, IMAGE), 1);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> encoder.encode(wrong));
            assertTrue(e.getMessage().contains("image_size"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> encoder.grid(IMAGE * 2, IMAGE * 2));
        }
    }

    @Test
    void forwardLeavesOnlyItsOutputsBehind() {
        try (NDManager models = root.newSubManager(); NDManager caller = root.newSubManager();
                VisionEncoder encoder = tiny(Map.of(), models)) {
            int modelArrays = models.getManagedArrays().size();
            assertTrue(modelArrays > 0, "the model's weights must be visible through its manager");
            NDArray x = pixels(caller, 2);
            for (int i = 0; i < 3; i++) {
                EncoderOutput out = encoder.encode(x);
                int outputs = 0;
                for (NDArray a : new NDArray[] {out.lastHiddenState(), out.pooled(), out.embeds(), out.features()}) {
                    if (a != null) {
                        assertTrue(a.getManager() == caller, "outputs belong to the caller's manager");
                        outputs++;
                    }
                }
                assertEquals(1 + outputs, caller.getManagedArrays().size(), "caller holds the input and the outputs");
                assertEquals(modelArrays, models.getManagedArrays().size(), "the model's memory does not grow");
                for (NDArray a : new NDArray[] {out.lastHiddenState(), out.pooled(), out.embeds(), out.features()}) {
                    if (a != null) {
                        a.close();
                    }
                }
            }
        }
    }

    @Test
    void weightsSurviveGarbageCollection() throws InterruptedException {
        // A weight array closed while a view of it is kept lets the JVM free the buffer the view reads.
        try (NDManager m = root.newSubManager(); VisionEncoder encoder = tiny(Map.of(), m)) {
            NDArray x = pixels(m, 1);
            float[] before = encoder.encode(x).features().toFloatArray();
            for (int round = 0; round < 5; round++) {
                System.gc();
                Thread.sleep(20);
                for (int i = 0; i < 200; i++) {
                    java.nio.ByteBuffer garbage = java.nio.ByteBuffer.allocateDirect(64 << (i % 8));
                    while (garbage.hasRemaining()) {
                        garbage.put((byte) 0x7f);
                    }
                }
            }
            assertArrayEquals(before, encoder.encode(x).features().toFloatArray());
        }
    }
}
