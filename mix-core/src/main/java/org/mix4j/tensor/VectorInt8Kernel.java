package org.mix4j.tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Int8Kernel} on the JDK's Vector API: eight int8 weights are loaded, widened to floats in
 * registers and multiplied into eight float accumulators. Four output rows are computed together
 * (four independent accumulator chains, one load of {@code x} for four rows of weights); with
 * several rows of {@code x} the same four weight rows are reread from cache for each. Loaded only
 * by {@link Int8Kernels} when {@code jdk.incubator.vector} is present.
 */
final class VectorInt8Kernel implements Int8Kernel {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_64;

    @Override
    public void multiply(byte[] q, float[] scale, int in, float[] x, int rows, float[] y, int out, int from, int to) {
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
    public void dequantize(byte[] q, float[] scale, int in, int from, int to, ByteBuffer target) {
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
