package org.mix4j.llm.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.nio.ByteBuffer;
import org.mix4j.nn.Linear;
import org.mix4j.nn.RmsNorm;
import org.mix4j.tensor.PackedKernel;
import org.mix4j.tensor.PackedMatrix;
import org.mix4j.tensor.TensorParallel;

/**
 * One decode step (one new position per row) of a LLaMA-family decoder with packed weights (int8 or
 * fp16, {@link PackedMatrix}) computed on Java arrays, with no engine op inside the layers: RMSNorm,
 * the products (read in their stored form, the output rows split over the model's threads), rotary embedding, grouped-query attention over the
 * {@code StaticKvCache} read and written in place, SwiGLU, the final norm and the LM head. The
 * engine path spends about 60 ops a layer on a decode step (slices, reshapes, the rotation, the
 * cache writes), each a JNI call that costs microseconds, and copies every product's input out of
 * the engine and its output back in; with packed products already in Java, that was as much time as
 * the products (docs/performance.md). The arithmetic is the engine path's, in float32; sums run
 * in a different order, so results agree to rounding, not bit for bit ({@code JavaDecodeStepTest}).
 *
 * <p>{@link LlamaLanguageModel} uses it only where it computes the same thing as the engine path:
 * every projection packed, float32 activations, one new position, no autograd and no per-call LoRA.
 */
final class JavaDecodeStep {

    /** One decoder layer's weights, as the engine path holds them, read once into Java arrays. */
    record Layer(float[] inputNorm, PackedMatrix qkv, float[] qkvBias, PackedMatrix o, float[] oBias,
            float[] postNorm, PackedMatrix gateUp, float[] gateUpBias, int shards, PackedMatrix down, float[] downBias) {

        /** A layer's norms and projections read into Java arrays; {@code null} while any projection is not packed. */
        static Layer of(RmsNorm inputNorm, Linear qkv, Linear o, RmsNorm postNorm, Linear gateUp, Linear down) {
            if (qkv.packed() == null || o.packed() == null || gateUp.packed() == null || down.packed() == null) {
                return null;
            }
            return new Layer(inputNorm.weight().toFloatArray(), qkv.packed(), floats(qkv.bias()), o.packed(),
                    floats(o.bias()), postNorm.weight().toFloatArray(), gateUp.packed(), floats(gateUp.bias()),
                    gateUp.shards(), down.packed(), floats(down.bias()));
        }

        private static float[] floats(NDArray bias) {
            if (bias == null) {
                return null;
            }
            try (NDArray f = bias.toType(DataType.FLOAT32, true)) {
                return f.toFloatArray();
            }
        }
    }

    private final Layer[] layers;
    private final float[] finalNorm;
    private final PackedMatrix lmHead;
    private final float[] invFreq; // [D / 2], RotaryEmbedding's
    private final int hidden;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int intermediate;
    private final float eps;
    private final TensorParallel parallel;

    JavaDecodeStep(LlamaConfig config, Layer[] layers, float[] finalNorm, PackedMatrix lmHead, float[] invFreq,
            TensorParallel parallel) {
        this.layers = layers;
        this.finalNorm = finalNorm;
        this.lmHead = lmHead;
        this.invFreq = invFreq;
        this.hidden = config.hiddenSize();
        this.heads = config.numAttentionHeads();
        this.kvHeads = config.kvHeads();
        this.headDim = config.resolvedHeadDim();
        this.intermediate = config.intermediateSize();
        this.eps = (float) config.rmsNormEps();
        this.parallel = parallel;
    }

    /** Logits {@code [B, V]} and the final-normed hidden states {@code [B, D]}. */
    record Output(float[] logits, float[] hidden) {}

    /**
     * @param x the new positions' embeddings {@code [B, D]}
     * @param positions each row's position (its rotary angle)
     * @param mask additive, {@code [B or 1, S]} ({@code S = past + 1}; 0 or -FLOAT_MAX), or {@code null}
     * @param cache per layer its keys and values ({@code StaticKvCache.inPlace}), {@code [B, kvH, capacity, D]}
     * @param capacity the cache's positions per row
     * @param past positions already cached; the new one is written at {@code past}
     */
    Output run(float[] x, int rows, long[] positions, float[] mask, ByteBuffer[] cache, int capacity, int past) {
        int qWidth = heads * headDim;
        int kvWidth = kvHeads * headDim;
        int qkvWidth = qWidth + 2 * kvWidth;
        int seen = past + 1;
        float[] normed = new float[rows * hidden];
        float[] qkv = new float[rows * qkvWidth];
        float[] attended = new float[rows * qWidth];
        float[] projected = new float[rows * hidden];
        float[] gateUp = new float[rows * 2 * intermediate];
        float[] act = new float[rows * intermediate];
        float[] cos = new float[rows * headDim / 2];
        float[] sin = new float[rows * headDim / 2];
        float[] scores = new float[(heads / kvHeads) * seen];
        for (int b = 0; b < rows; b++) {
            float position = positions[b]; // float32, as transformers multiplies the frequencies
            for (int i = 0; i < headDim / 2; i++) {
                float angle = position * invFreq[i];
                cos[b * headDim / 2 + i] = (float) Math.cos(angle);
                sin[b * headDim / 2 + i] = (float) Math.sin(angle);
            }
        }
        PackedKernel kernel = PackedKernel.best();
        for (int l = 0; l < layers.length; l++) {
            Layer layer = layers[l];
            rmsNorm(x, rows, layer.inputNorm, normed);
            layer.qkv.multiply(normed, rows, qkv, parallel);
            addBias(qkv, rows, layer.qkvBias);
            for (int b = 0; b < rows; b++) {
                int at = b * qkvWidth;
                for (int h = 0; h < heads + kvHeads; h++) { // queries and keys rotate alike
                    rotate(qkv, at + h * headDim, cos, sin, b * headDim / 2);
                }
            }
            ByteBuffer keys = cache[2 * l];
            ByteBuffer values = cache[2 * l + 1];
            for (int b = 0; b < rows; b++) {
                for (int g = 0; g < kvHeads; g++) {
                    int slot = ((b * kvHeads + g) * capacity + past) * headDim;
                    int k = b * qkvWidth + qWidth + g * headDim;
                    int v = k + kvWidth;
                    for (int d = 0; d < headDim; d++) {
                        keys.putFloat((slot + d) * Float.BYTES, qkv[k + d]);
                        values.putFloat((slot + d) * Float.BYTES, qkv[v + d]);
                    }
                }
            }
            java.util.Arrays.fill(attended, 0f);
            int pairs = rows * kvHeads; // (row, key/value head): independent, each writes its own heads
            int ways = Math.min(parallel.ways(), pairs);
            TensorParallel.map(ways, part -> { // on the product threads, which then are awake for the next product
                float[] own = part == 0 ? scores : new float[scores.length];
                for (int pair = pairs * part / ways; pair < pairs * (part + 1) / ways; pair++) {
                    attend(kernel, qkv, pair / kvHeads, pair % kvHeads, keys, values, capacity, seen, mask, own, attended);
                }
                return null;
            });
            layer.o.multiply(attended, rows, projected, parallel);
            addBias(projected, rows, layer.oBias);
            addTo(x, projected);
            rmsNorm(x, rows, layer.postNorm, normed);
            layer.gateUp.multiply(normed, rows, gateUp, parallel);
            addBias(gateUp, rows, layer.gateUpBias);
            swiglu(gateUp, rows, layer.shards, act);
            layer.down.multiply(act, rows, projected, parallel);
            addBias(projected, rows, layer.downBias);
            addTo(x, projected);
        }
        rmsNorm(x, rows, finalNorm, normed);
        float[] logits = new float[rows * lmHead.outFeatures()];
        lmHead.multiply(normed, rows, logits, parallel);
        return new Output(logits, normed);
    }

    /** {@code w * x / sqrt(mean(x^2) + eps)} per row, as {@code RmsNorm}. */
    private void rmsNorm(float[] x, int rows, float[] weight, float[] out) {
        for (int b = 0; b < rows; b++) {
            int at = b * hidden;
            double squares = 0;
            for (int i = 0; i < hidden; i++) {
                squares += x[at + i] * x[at + i];
            }
            float root = (float) Math.sqrt((float) (squares / hidden) + eps);
            for (int i = 0; i < hidden; i++) {
                out[at + i] = x[at + i] / root * weight[i];
            }
        }
    }

    /** The "rotate half" rotation of one head at {@code at}: pairs {@code (i, i + D/2)}. */
    private void rotate(float[] v, int at, float[] cos, float[] sin, int angles) {
        int half = headDim / 2;
        for (int i = 0; i < half; i++) {
            float first = v[at + i];
            float second = v[at + half + i];
            float c = cos[angles + i];
            float s = sin[angles + i];
            v[at + i] = first * c - second * s;
            v[at + half + i] = second * c + first * s;
        }
    }

    /**
     * The query heads of key/value head {@code g} of row {@code b} against its {@code seen} cached
     * positions: scaled scores plus the mask, softmax, the weighted sum of the values.
     */
    private void attend(PackedKernel kernel, float[] qkv, int b, int g, ByteBuffer keys, ByteBuffer values, int capacity,
            int seen, float[] mask, float[] scores, float[] attended) {
        int group = heads / kvHeads;
        int qkvWidth = (heads + 2 * kvHeads) * headDim;
        int base = (b * kvHeads + g) * capacity * headDim;
        float scale = (float) Math.sqrt(headDim);
        int maskAt = mask == null ? -1 : mask.length == seen ? 0 : b * seen;
        for (int j = 0; j < seen; j++) {
            for (int r = 0; r < group; r++) {
                int q = b * qkvWidth + (g * group + r) * headDim;
                float score = kernel.dot(qkv, q, keys, base + j * headDim, headDim) / scale;
                scores[r * seen + j] = maskAt < 0 ? score : score + mask[maskAt + j];
            }
        }
        for (int r = 0; r < group; r++) {
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < seen; j++) {
                max = Math.max(max, scores[r * seen + j]);
            }
            float sum = 0;
            for (int j = 0; j < seen; j++) {
                float e = (float) Math.exp(scores[r * seen + j] - max);
                scores[r * seen + j] = e;
                sum += e;
            }
            int out = b * heads * headDim + (g * group + r) * headDim;
            for (int j = 0; j < seen; j++) {
                float p = scores[r * seen + j] / sum;
                if (p != 0) {
                    kernel.axpy(p, values, base + j * headDim, attended, out, headDim);
                }
            }
        }
    }

    /** {@code silu(gate) * up}, the fused rows laid out per shard as {@code gate_s | up_s}. */
    private void swiglu(float[] gateUp, int rows, int shards, float[] act) {
        int width = intermediate / shards;
        for (int b = 0; b < rows; b++) {
            for (int s = 0; s < shards; s++) {
                int from = b * 2 * intermediate + s * 2 * width;
                int to = b * intermediate + s * width;
                for (int j = 0; j < width; j++) {
                    float gate = gateUp[from + j];
                    act[to + j] = gate / (1 + (float) Math.exp(-gate)) * gateUp[from + width + j];
                }
            }
        }
    }

    private static void addBias(float[] y, int rows, float[] bias) {
        if (bias == null) {
            return;
        }
        for (int b = 0; b < rows; b++) {
            for (int i = 0; i < bias.length; i++) {
                y[b * bias.length + i] += bias[i];
            }
        }
    }

    private static void addTo(float[] x, float[] y) {
        for (int i = 0; i < x.length; i++) {
            x[i] += y[i];
        }
    }
}
