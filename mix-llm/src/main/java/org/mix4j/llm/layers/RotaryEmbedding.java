package org.mix4j.llm.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import org.mix4j.nn.Autograd;

/**
 * Rotary position embedding (RoFormer, Su et al. 2021) in the "rotate half" layout of
 * transformers' LLaMA: the first and second halves of each head form the rotated pairs.
 * Frequencies are computed in float32 exactly as transformers does, including the
 * {@code linear} and {@code llama3} scalings.
 */
public final class RotaryEmbedding {

    private final float[] invFreq; // [D / 2]

    public RotaryEmbedding(int dim, double theta, RopeScaling scaling) {
        this.invFreq = inverseFrequencies(dim, theta, scaling);
    }

    /** This embedding's {@code [D / 2]} inverse frequencies (a copy). */
    public float[] inverseFrequencies() {
        return invFreq.clone();
    }

    /** {@code 1 / theta^(2i / dim)} with the scaling applied, in float32 arithmetic. */
    public static float[] inverseFrequencies(int dim, double theta, RopeScaling scaling) {
        if (dim % 2 != 0) {
            throw new IllegalArgumentException("rotary dimension must be even, got " + dim);
        }
        float[] inv = new float[dim / 2];
        float base = (float) theta;
        for (int i = 0; i < inv.length; i++) {
            float exponent = (float) (2 * i) / (float) dim;
            inv[i] = 1f / (float) Math.pow(base, exponent);
        }
        switch (scaling.type()) {
            case "linear" -> {
                for (int i = 0; i < inv.length; i++) {
                    inv[i] = inv[i] / (float) scaling.factor();
                }
            }
            case "llama3" -> applyLlama3(inv, scaling);
            default -> { }
        }
        return inv;
    }

    // Llama 3.1: long wavelengths are interpolated by `factor`, short ones kept, and the band in
    // between blended smoothly.
    private static void applyLlama3(float[] inv, RopeScaling s) {
        float factor = (float) s.factor();
        float low = (float) s.lowFreqFactor();
        float high = (float) s.highFreqFactor();
        float oldContext = s.originalMaxPositionEmbeddings();
        float lowFreqWavelen = oldContext / low;
        float highFreqWavelen = oldContext / high;
        for (int i = 0; i < inv.length; i++) {
            float wavelen = (float) (2 * Math.PI) / inv[i];
            float scaled = wavelen > lowFreqWavelen ? inv[i] / factor : inv[i];
            boolean medium = !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen);
            if (medium) {
                float smooth = (oldContext / wavelen - low) / (high - low);
                scaled = (1 - smooth) * scaled / factor + smooth * scaled;
            }
            inv[i] = scaled;
        }
    }

    /** Cosines and sines for each position, {@code [B, 1, T, D]}, ready to broadcast over heads. */
    public record CosSin(NDArray cos, NDArray sin) {

        /** The tables in {@code type} (what transformers does for a half-precision model); itself when already so. */
        public CosSin to(DataType type) {
            return cos.getDataType() == type ? this : new CosSin(cos.toType(type, false), sin.toType(type, false));
        }
    }

    /** @param positionIds int64 {@code [B, T]}; the results live in its manager */
    public CosSin compute(NDArray positionIds) {
        NDArray inv = positionIds.getManager().create(invFreq); // [D/2]
        NDArray freqs = positionIds.toType(DataType.FLOAT32, false).expandDims(-1).mul(inv); // [B, T, D/2]
        NDArray emb = freqs.concat(freqs, 2).expandDims(1); // [B, 1, T, D]
        return new CosSin(emb.cos(), emb.sin());
    }

    /** Rotates {@code x} {@code [B, H, T, D]} by the positions' angles. */
    public static NDArray apply(NDArray x, CosSin cs) {
        NDList halves = x.split(2, 3); // 2 x [B, H, T, D/2]
        NDArray rotated = NDArrays.concat(new NDList(halves.get(1).neg(), halves.get(0)), 3);
        NDArray cos = cs.cos();
        NDArray sin = cs.sin();
        if (x.getDataType() != cos.getDataType()) { // half-precision models rotate in their own dtype
            cos = cos.toType(x.getDataType(), false);
            sin = sin.toType(x.getDataType(), false);
        }
        return Autograd.addi(x.mul(cos), Autograd.muli(rotated, sin));
    }
}
