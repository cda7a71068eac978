package org.mix4j.tensor;

/** {@link PackedKernel} as plain Java loops: the fallback without the Vector API. */
public final class ScalarPackedKernel implements PackedKernel {

    /** Weight {@code at} (a flat index into the row-major matrix) as a float. */
    @FunctionalInterface
    private interface Weight {
        float at(int at);
    }

    /** {@code y[i, r] = rowScale(r) * sum_k x[i, k] w(r * in + k)}: the one loop of the three formats. */
    private static void multiply(Weight w, float[] scale, int in, float[] x, int rows, float[] y, int out, int from, int to) {
        for (int r = from; r < to; r++) {
            int base = r * in;
            for (int i = 0; i < rows; i++) {
                int xBase = i * in;
                float s0 = 0;
                float s1 = 0;
                int k = 0;
                for (; k + 1 < in; k += 2) { // two chains, so the adds do not wait on each other
                    s0 += x[xBase + k] * w.at(base + k);
                    s1 += x[xBase + k + 1] * w.at(base + k + 1);
                }
                if (k < in) {
                    s0 += x[xBase + k] * w.at(base + k);
                }
                y[i * out + r] = scale == null ? s0 + s1 : (s0 + s1) * scale[r];
            }
        }
    }

    @Override
    public void multiplyInt8(byte[] q, float[] scale, int in, float[] x, int rows, float[] y, int out, int from, int to) {
        multiply(k -> q[k], scale, in, x, rows, y, out, from, to);
    }

    @Override
    public void dequantizeInt8(byte[] q, float[] scale, int in, int from, int to, java.nio.ByteBuffer target) {
        java.nio.FloatBuffer floats = target.order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer();
        int at = 0;
        for (int r = from; r < to; r++) {
            float s = scale[r];
            for (int k = r * in, end = k + in; k < end; k++) {
                floats.put(at++, q[k] * s);
            }
        }
    }

    @Override
    public void multiplyHalf(short[] h, int in, float[] x, int rows, float[] y, int out, int from, int to) {
        multiply(k -> HalfMatrix.toFloat(h[k]), null, in, x, rows, y, out, from, to);
    }

    @Override
    public void dequantizeHalf(short[] h, int in, int from, int to, java.nio.ByteBuffer target) {
        java.nio.FloatBuffer floats = target.order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer();
        int at = 0;
        for (int k = from * in, end = to * in; k < end; k++) {
            floats.put(at++, HalfMatrix.toFloat(h[k]));
        }
    }

    @Override
    public void multiplyFloat(float[] w, int in, float[] x, int rows, float[] y, int out, int from, int to) {
        multiply(k -> w[k], null, in, x, rows, y, out, from, to);
    }

    @Override
    public float dot(float[] a, int aAt, java.nio.ByteBuffer b, int bAt, int n) {
        float s = 0;
        for (int k = 0; k < n; k++) {
            s += a[aAt + k] * b.getFloat((bAt + k) * Float.BYTES);
        }
        return s;
    }

    @Override
    public void axpy(float w, java.nio.ByteBuffer b, int bAt, float[] y, int yAt, int n) {
        for (int k = 0; k < n; k++) {
            y[yAt + k] += w * b.getFloat((bAt + k) * Float.BYTES);
        }
    }

    @Override
    public String name() {
        return "scalar";
    }
}
