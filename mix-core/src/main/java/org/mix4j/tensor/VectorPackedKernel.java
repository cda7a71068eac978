package org.mix4j.tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link PackedKernel} on the JDK's Vector API: eight int8, half-precision or float weights are
 * loaded, widened to floats in registers where they are not, and multiplied into eight float
 * accumulators. Four output rows are
 * computed together (four independent accumulator chains, one load of {@code x} for four rows of
 * weights); with several rows of {@code x} the same four weight rows are reread from cache for each.
 * Eight lanes (256 bits), not sixteen: on this project's AMD EPYC the 512-bit forms of these loops
 * read fewer bytes a second (int8 26 against 40 GB/s, halves 32 against 39, floats 54-57 against
 * 59-61, two threads, weights far larger than the caches).
 * Loaded only by {@link PackedKernels} when {@code jdk.incubator.vector} is present. The loop is
 * written out once per format, not shared through a function that loads a row's vector: a vector
 * returned from a call the JIT does not inline (one call site serving three formats) is boxed on
 * the heap, which the Vector API's own documentation warns costs far more than the loop.
 *
 * <p>Halves are widened without a conversion instruction (the JDK 17 Vector API has none): the
 * sign-extended 16 bits shifted left by 13 and masked are a float32 with the half's sign, exponent
 * and mantissa in place, whose value is the half's times 2^-112 for normal and subnormal halves
 * alike. {@code x} is scaled by 2^64 once per call and each sum by 2^48 at the end, so the products
 * stay normal floats (a subnormal one would lose precision).
 */
final class VectorPackedKernel implements PackedKernel {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_64;

    @Override
    public void multiplyInt8(byte[] q, float[] scale, int in, float[] x, int rows, float[] y, int out, int from, int to) {
        int r = from;
        for (; r + 4 <= to; r += 4) {
            for (int i = 0; i < rows; i++) {
                dot4(q, scale, in, x, i, y, out, r);
            }
        }
        for (; r < to; r++) {
            for (int i = 0; i < rows; i++) {
                y[i * out + r] = dot1(q, r * in, x, i * in, in) * scale[r];
            }
        }
    }

    /** Output rows {@code r .. r+3} for row {@code i} of {@code x}. */
    private static void dot4(byte[] q, float[] scale, int in, float[] x, int i, float[] y, int out, int r) {
        int xBase = i * in;
        int b0 = r * in;
        int b1 = b0 + in;
        int b2 = b1 + in;
        int b3 = b2 + in;
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        int bound = F.loopBound(in);
        int k = 0;
        for (; k < bound; k += F.length()) {
            FloatVector xv = FloatVector.fromArray(F, x, xBase + k);
            a0 = widen(q, b0 + k).fma(xv, a0);
            a1 = widen(q, b1 + k).fma(xv, a1);
            a2 = widen(q, b2 + k).fma(xv, a2);
            a3 = widen(q, b3 + k).fma(xv, a3);
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD);
        float s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD);
        float s3 = a3.reduceLanes(VectorOperators.ADD);
        for (; k < in; k++) {
            float xk = x[xBase + k];
            s0 += xk * q[b0 + k];
            s1 += xk * q[b1 + k];
            s2 += xk * q[b2 + k];
            s3 += xk * q[b3 + k];
        }
        int at = i * out + r;
        y[at] = s0 * scale[r];
        y[at + 1] = s1 * scale[r + 1];
        y[at + 2] = s2 * scale[r + 2];
        y[at + 3] = s3 * scale[r + 3];
    }

    private static float dot1(byte[] q, int base, float[] x, int xBase, int in) {
        FloatVector acc = FloatVector.zero(F);
        int bound = F.loopBound(in);
        int k = 0;
        for (; k < bound; k += F.length()) {
            acc = widen(q, base + k).fma(FloatVector.fromArray(F, x, xBase + k), acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; k < in; k++) {
            s += x[xBase + k] * q[base + k];
        }
        return s;
    }

    /** Eight int8 weights from {@code at}, as eight floats. */
    private static FloatVector widen(byte[] q, int at) {
        return (FloatVector) ByteVector.fromArray(B, q, at).convertShape(VectorOperators.B2F, F, 0);
    }

    @Override
    public void dequantizeInt8(byte[] q, float[] scale, int in, int from, int to, ByteBuffer target) {
        ByteOrder order = ByteOrder.nativeOrder();
        int bound = F.loopBound(in);
        int at = 0; // floats written
        for (int r = from; r < to; r++) {
            float s = scale[r];
            FloatVector sv = FloatVector.broadcast(F, s);
            int base = r * in;
            int k = 0;
            for (; k < bound; k += F.length()) {
                widen(q, base + k).mul(sv).intoByteBuffer(target, (at + k) * Float.BYTES, order);
            }
            for (; k < in; k++) {
                target.putFloat((at + k) * Float.BYTES, q[base + k] * s);
            }
            at += in;
        }
    }

    /** 2^64, or 1 for an {@code x} too large to scale: {@code x} is multiplied by it before the products. */
    private static final float X_SCALE = 0x1p64f;
    /** Halves above this times 2^-112, times an {@code x} up to 2^60 times 2^64, stay below float's range. */
    private static final float X_LIMIT = 0x1p60f;

    @Override
    public void multiplyHalf(short[] h, int in, float[] x, int rows, float[] y, int out, int from, int to) {
        float max = 0;
        for (int k = 0, n = rows * in; k < n; k++) {
            max = Math.max(max, Math.abs(x[k]));
        }
        float xScale = max < X_LIMIT ? X_SCALE : 1f; // NaN fails the test too: it stays NaN either way
        float yScale = 0x1p112f / xScale;
        float[] xs = new float[rows * in];
        for (int k = 0; k < xs.length; k++) {
            xs[k] = x[k] * xScale;
        }
        int r = from;
        for (; r + 4 <= to; r += 4) {
            for (int i = 0; i < rows; i++) {
                half4(h, in, xs, i, y, out, r, yScale);
            }
        }
        for (; r < to; r++) {
            for (int i = 0; i < rows; i++) {
                y[i * out + r] = half1(h, r * in, xs, i * in, in) * yScale;
            }
        }
    }

    /** Output rows {@code r .. r+3} for row {@code i} of the scaled {@code xs}. */
    private static void half4(short[] h, int in, float[] xs, int i, float[] y, int out, int r, float yScale) {
        int xBase = i * in;
        int b0 = r * in;
        int b1 = b0 + in;
        int b2 = b1 + in;
        int b3 = b2 + in;
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        int bound = F.loopBound(in);
        int k = 0;
        for (; k < bound; k += F.length()) {
            FloatVector xv = FloatVector.fromArray(F, xs, xBase + k);
            a0 = widenHalf(h, b0 + k).fma(xv, a0);
            a1 = widenHalf(h, b1 + k).fma(xv, a1);
            a2 = widenHalf(h, b2 + k).fma(xv, a2);
            a3 = widenHalf(h, b3 + k).fma(xv, a3);
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD);
        float s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD);
        float s3 = a3.reduceLanes(VectorOperators.ADD);
        for (; k < in; k++) {
            float xk = xs[xBase + k];
            s0 += xk * rebiased(h[b0 + k]);
            s1 += xk * rebiased(h[b1 + k]);
            s2 += xk * rebiased(h[b2 + k]);
            s3 += xk * rebiased(h[b3 + k]);
        }
        int at = i * out + r;
        y[at] = s0 * yScale;
        y[at + 1] = s1 * yScale;
        y[at + 2] = s2 * yScale;
        y[at + 3] = s3 * yScale;
    }

    private static float half1(short[] h, int base, float[] xs, int xBase, int in) {
        FloatVector acc = FloatVector.zero(F);
        int bound = F.loopBound(in);
        int k = 0;
        for (; k < bound; k += F.length()) {
            acc = widenHalf(h, base + k).fma(FloatVector.fromArray(F, xs, xBase + k), acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; k < in; k++) {
            s += xs[xBase + k] * rebiased(h[base + k]);
        }
        return s;
    }

    private static final VectorSpecies<Short> S = ShortVector.SPECIES_128;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    /** Keeps the sign (bit 31) and the half's exponent and mantissa (bits 27..13) of a shifted half. */
    private static final int HALF_BITS = 0x8FFFE000;

    /** Eight halves from {@code at}, as eight floats of 2^-112 times their value. */
    private static FloatVector widenHalf(short[] h, int at) {
        IntVector bits = (IntVector) ShortVector.fromArray(S, h, at).convertShape(VectorOperators.S2I, I, 0);
        return bits.lanewise(VectorOperators.LSHL, 13).lanewise(VectorOperators.AND, HALF_BITS).reinterpretAsFloats();
    }

    /** One half as {@link #widenHalf} widens it. */
    private static float rebiased(short h) {
        return Float.intBitsToFloat((h << 13) & HALF_BITS);
    }

    @Override
    public void dequantizeHalf(short[] h, int in, int from, int to, ByteBuffer target) {
        ByteOrder order = ByteOrder.nativeOrder();
        FloatVector up = FloatVector.broadcast(F, 0x1p112f);
        int n = (to - from) * in;
        int base = from * in;
        int bound = F.loopBound(n);
        int k = 0;
        for (; k < bound; k += F.length()) {
            widenHalf(h, base + k).mul(up).intoByteBuffer(target, k * Float.BYTES, order);
        }
        for (; k < n; k++) {
            target.putFloat(k * Float.BYTES, rebiased(h[base + k]) * 0x1p112f);
        }
    }

    @Override
    public void multiplyFloat(float[] w, int in, float[] x, int rows, float[] y, int out, int from, int to) {
        int r = from;
        for (; r + 4 <= to; r += 4) {
            for (int i = 0; i < rows; i++) {
                float4(w, in, x, i, y, out, r);
            }
        }
        for (; r < to; r++) {
            for (int i = 0; i < rows; i++) {
                y[i * out + r] = dot(x, i * in, w, r * in, in);
            }
        }
    }

    /** Output rows {@code r .. r+3} for row {@code i} of {@code x}, float32 weights. */
    private static void float4(float[] w, int in, float[] x, int i, float[] y, int out, int r) {
        int xBase = i * in;
        int b0 = r * in;
        int b1 = b0 + in;
        int b2 = b1 + in;
        int b3 = b2 + in;
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        int bound = F.loopBound(in);
        int k = 0;
        for (; k < bound; k += F.length()) {
            FloatVector xv = FloatVector.fromArray(F, x, xBase + k);
            a0 = FloatVector.fromArray(F, w, b0 + k).fma(xv, a0);
            a1 = FloatVector.fromArray(F, w, b1 + k).fma(xv, a1);
            a2 = FloatVector.fromArray(F, w, b2 + k).fma(xv, a2);
            a3 = FloatVector.fromArray(F, w, b3 + k).fma(xv, a3);
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD);
        float s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD);
        float s3 = a3.reduceLanes(VectorOperators.ADD);
        for (; k < in; k++) {
            float xk = x[xBase + k];
            s0 += xk * w[b0 + k];
            s1 += xk * w[b1 + k];
            s2 += xk * w[b2 + k];
            s3 += xk * w[b3 + k];
        }
        int at = i * out + r;
        y[at] = s0;
        y[at + 1] = s1;
        y[at + 2] = s2;
        y[at + 3] = s3;
    }

    private static float dot(float[] a, int aAt, float[] b, int bAt, int n) {
        FloatVector acc = FloatVector.zero(F);
        int bound = F.loopBound(n);
        int k = 0;
        for (; k < bound; k += F.length()) {
            acc = FloatVector.fromArray(F, a, aAt + k).fma(FloatVector.fromArray(F, b, bAt + k), acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; k < n; k++) {
            s += a[aAt + k] * b[bAt + k];
        }
        return s;
    }

    @Override
    public float dot(float[] a, int aAt, ByteBuffer b, int bAt, int n) {
        ByteOrder order = ByteOrder.nativeOrder();
        FloatVector acc = FloatVector.zero(F);
        int bound = F.loopBound(n);
        int k = 0;
        for (; k < bound; k += F.length()) {
            acc = FloatVector.fromArray(F, a, aAt + k).fma(FloatVector.fromByteBuffer(F, b, (bAt + k) * Float.BYTES, order), acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; k < n; k++) {
            s += a[aAt + k] * b.getFloat((bAt + k) * Float.BYTES);
        }
        return s;
    }

    @Override
    public void axpy(float w, ByteBuffer b, int bAt, float[] y, int yAt, int n) {
        ByteOrder order = ByteOrder.nativeOrder();
        FloatVector wv = FloatVector.broadcast(F, w);
        int bound = F.loopBound(n);
        int k = 0;
        for (; k < bound; k += F.length()) {
            FloatVector.fromByteBuffer(F, b, (bAt + k) * Float.BYTES, order).fma(wv, FloatVector.fromArray(F, y, yAt + k))
                    .intoArray(y, yAt + k);
        }
        for (; k < n; k++) {
            y[yAt + k] += w * b.getFloat((bAt + k) * Float.BYTES);
        }
    }

    @Override
    public String name() {
        return "vector";
    }
}
