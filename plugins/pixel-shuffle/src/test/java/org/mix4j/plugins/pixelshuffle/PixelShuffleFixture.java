package org.mix4j.plugins.pixelshuffle;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.mix4j.weights.SafeTensorsWriter;

/**
 * Writes the golden-format fixture of kind {@code pixel_shuffle_connector} with hand-checked
 * expectations: a 4x4 grid (plus CLS) of small integer features, InternVL's shuffle order written
 * out by hand below, near-identity {@code mlp1} weights, and the expected output evaluated in
 * float64 by {@link Float64}, never by the connector.
 */
final class PixelShuffleFixture {

    static final int BATCH = 2;
    static final int ROWS = 4;
    static final int COLS = 4;
    static final int DV = 2;
    static final int DLLM = 3;
    static final double EPS = 1e-5;

    /**
     * InternVL {@code pixel_shuffle} (ratio 0.5, ps_version v2) on a 4x4 grid, by hand: output token
     * {@code t} concatenates the patches {@code SHUFFLED[t]} (row-major patch indices, CLS dropped),
     * each with all its channels: the top-left 2x2 block first, blocks in row-major order, and in a
     * block the upper row before the lower one.
     */
    static final int[][] SHUFFLED = {{0, 1, 4, 5}, {2, 3, 6, 7}, {8, 9, 12, 13}, {10, 11, 14, 15}};

    static final float[] NORM_WEIGHT = {1f, 0.5f, 2f, 1f, 1.5f, 1f, 0.25f, 1f};
    static final float[] NORM_BIAS = {0f, 0.1f, 0f, -0.2f, 0f, 0f, 0.3f, 0f};
    /** {@code mlp1.1}: each output picks one or two shuffled channels. */
    static final float[][] FC1_WEIGHT = {
        {1, 0, 0, 0, 0, 0, 0, 0},
        {0, 0, 0, 1, 0, 0, 0, 0},
        {0, 0, 0, 0, 0, 0, -1, 0.5f}};
    static final float[] FC1_BIAS = {0.1f, 0f, -0.1f};
    /** {@code mlp1.3}: identity plus one cross term. */
    static final float[][] FC2_WEIGHT = {{1, 0, 0}, {0, 1, 0}, {0.5f, 0, 1}};
    static final float[] FC2_BIAS = {0f, 0.5f, 0f};

    private PixelShuffleFixture() {}

    /** Feature {@code c} of patch {@code p} (row-major) in batch row {@code b}: small integers. */
    static float feature(int b, int p, int c) {
        return c == 0 ? p + b : p % 3 - 2 * b;
    }

    static float[] features() {
        float[] out = new float[BATCH * (1 + ROWS * COLS) * DV];
        int i = 0;
        for (int b = 0; b < BATCH; b++) {
            out[i++] = 99; // CLS, dropped before the shuffle
            out[i++] = -99;
            for (int p = 0; p < ROWS * COLS; p++) {
                for (int c = 0; c < DV; c++) {
                    out[i++] = feature(b, p, c);
                }
            }
        }
        return out;
    }

    /** {@code [B, 4, DLLM]}: mlp1 of the hand-shuffled tokens, in float64. */
    static double[] expected() {
        double[] out = new double[BATCH * SHUFFLED.length * DLLM];
        int i = 0;
        for (int b = 0; b < BATCH; b++) {
            for (int[] block : SHUFFLED) {
                double[] token = new double[block.length * DV];
                for (int n = 0; n < block.length; n++) {
                    for (int c = 0; c < DV; c++) {
                        token[n * DV + c] = feature(b, block[n], c);
                    }
                }
                double[] h = Float64.layerNorm(token, NORM_WEIGHT, NORM_BIAS, EPS);
                h = Float64.linear(h, FC1_WEIGHT, FC1_BIAS);
                for (int k = 0; k < h.length; k++) {
                    h[k] = Float64.gelu(h[k]);
                }
                h = Float64.linear(h, FC2_WEIGHT, FC2_BIAS);
                for (double v : h) {
                    out[i++] = v;
                }
            }
        }
        return out;
    }

    /** Writes {@code case.json}, {@code config.json}, {@code model.safetensors}, {@code io.safetensors}. */
    static Path write(Path dir) throws IOException {
        Files.createDirectories(dir);
        try (NDManager m = NDManager.newBaseManager()) {
            new SafeTensorsWriter()
                    .put("mlp1.0.weight", m.create(NORM_WEIGHT))
                    .put("mlp1.0.bias", m.create(NORM_BIAS))
                    .put("mlp1.1.weight", m.create(FC1_WEIGHT))
                    .put("mlp1.1.bias", m.create(FC1_BIAS))
                    .put("mlp1.3.weight", m.create(FC2_WEIGHT))
                    .put("mlp1.3.bias", m.create(FC2_BIAS))
                    .write(dir.resolve("model.safetensors"));
            double[] expected = expected();
            float[] expected32 = new float[expected.length];
            for (int i = 0; i < expected.length; i++) {
                expected32[i] = (float) expected[i];
            }
            new SafeTensorsWriter()
                    .put("vision_features", m.create(features(), new Shape(BATCH, 1 + ROWS * COLS, DV)))
                    .put("connector_output", m.create(expected32, new Shape(BATCH, SHUFFLED.length, DLLM)))
                    .write(dir.resolve("io.safetensors"));
        }
        Files.writeString(dir.resolve("config.json"), """
                {
                  "architectures": ["InternVLChatModel"],
                  "model_type": "internvl_chat",
                  "downsample_ratio": 0.5,
                  "ps_version": "v2",
                  "select_layer": -1,
                  "vision_config": {"model_type": "intern_vit_6b", "hidden_size": %d},
                  "llm_config": {"model_type": "qwen2", "hidden_size": %d}
                }
                """.formatted(DV, DLLM));
        Files.writeString(dir.resolve("case.json"), """
                {
                  "kind": "pixel_shuffle_connector",
                  "reference": "hand-checked: InternVL pixel_shuffle order (ratio 0.5, ps_version v2) written out by hand; mlp1 (LayerNorm, Linear, GELU(erf), Linear) evaluated in float64 (PixelShuffleFixture in the plugin's tests)",
                  "call": "vit_embeds = vision_features[:, 1:, :].reshape(B, 4, 4, 2); connector_output = mlp1(pixel_shuffle(vit_embeds, 0.5).reshape(B, -1, 8)), as InternVLChatModel.extract_feature does after the vision tower",
                  "inputs": ["vision_features"],
                  "outputs": ["connector_output"],
                  "grid": [%d, %d],
                  "prefix_tokens": 1,
                  "atol": 0.0001,
                  "rtol": 0.0001,
                  "dtype": "float32",
                  "files": ["case.json", "config.json", "io.safetensors", "model.safetensors"]
                }
                """.formatted(ROWS, COLS));
        return dir;
    }

    /** Regenerates the committed copy: {@code java ... PixelShuffleFixture DIR}. */
    public static void main(String[] args) throws IOException {
        write(Path.of(args[0]));
    }
}
