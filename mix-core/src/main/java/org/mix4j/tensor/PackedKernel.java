package org.mix4j.tensor;

/**
 * The decode-side products of a {@link PackedMatrix}, reading its weights from Java arrays in their
 * stored form: int8 with a scale per output row ({@link Int8Matrix}, one byte a weight) or IEEE
 * half-precision bits ({@link HalfMatrix}, two bytes), widened to float32 in registers. Each
 * computes {@code y[i, r] = sum_k x[i, k] w[r, k]} for a few rows {@code i} of {@code x} and the
 * output rows {@code r} of one thread's range. Also the two float loops the rest of a decode step on
 * Java arrays needs ({@link #dot}, {@link #axpy}).
 *
 * <p>Two implementations: {@code VectorPackedKernel} (the JDK's incubating Vector API, loaded only
 * when the {@code jdk.incubator.vector} module is in the boot layer) and {@link ScalarPackedKernel},
 * a plain loop for JVMs started without {@code --add-modules jdk.incubator.vector} (a plugin host,
 * Spark).
 */
public interface PackedKernel {

    /**
     * {@code y[i, r] = scale[r] * sum_k x[i, k] q[r, k]}.
     *
     * @param q {@code [out, in]} row-major int8 weights
     * @param scale {@code [out]} per-output-row scales
     * @param in the input width
     * @param x {@code [rows, in]} row-major
     * @param rows how many rows of {@code x}
     * @param y {@code [rows, out]} row-major; only columns {@code from .. to} are written
     * @param out the output width (the row stride of {@code y})
     */
    void multiplyInt8(byte[] q, float[] scale, int in, float[] x, int rows, float[] y, int out, int from, int to);

    /**
     * Rows {@code from .. to} of {@code q}, each times its scale, as native-order floats at the start of
     * {@code target} (the prefill path's scratch, which the engine then reads in place).
     */
    void dequantizeInt8(byte[] q, float[] scale, int in, int from, int to, java.nio.ByteBuffer target);

    /**
     * {@code y[i, r] = sum_k x[i, k] h[r, k]}, {@code h} IEEE binary16 bits ({@code [out, in]} row-major);
     * the other parameters as in {@link #multiplyInt8}. {@code x} must be finite and below 2^60 in
     * magnitude (the vector kernel scales it by 2^64 on the way, see {@link HalfMatrix}).
     */
    void multiplyHalf(short[] h, int in, float[] x, int rows, float[] y, int out, int from, int to);

    /** Rows {@code from .. to} of {@code h} as native-order floats at the start of {@code target}. */
    void dequantizeHalf(short[] h, int in, int from, int to, java.nio.ByteBuffer target);

    /** {@code y[i, r] = sum_k x[i, k] w[r, k]}, {@code w} float32; the other parameters as in {@link #multiplyInt8}. */
    void multiplyFloat(float[] w, int in, float[] x, int rows, float[] y, int out, int from, int to);

    /**
     * {@code sum_k a[aAt + k] * b[bAt + k]} for {@code k < n}, {@code b} native-order floats read in
     * place ({@code bAt} counts floats): the attention scores of the Java decode step, whose key cache
     * is the engine's own memory.
     */
    float dot(float[] a, int aAt, java.nio.ByteBuffer b, int bAt, int n);

    /** {@code y[yAt + k] += w * b[bAt + k]} for {@code k < n}, {@code b} as in {@link #dot} (the values). */
    void axpy(float w, java.nio.ByteBuffer b, int bAt, float[] y, int yAt, int n);

    /** A short name for logs and the bench ({@code vector}, {@code scalar}). */
    String name();

    /** The fastest kernel this JVM can run; the first call logs a one-line warning when it falls back. */
    static PackedKernel best() {
        return PackedKernels.BEST;
    }
}
