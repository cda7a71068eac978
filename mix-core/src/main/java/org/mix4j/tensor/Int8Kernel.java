package org.mix4j.tensor;

/**
 * The decode-side product of an {@link Int8Matrix}: {@code y[i, r] = scale[r] * sum_k x[i, k] q[r, k]}
 * for a few rows {@code i} of {@code x} and the output rows {@code r} of one thread's range, reading
 * the int8 weights directly (one byte per weight instead of four); and the two float loops the rest
 * of an int8 decode step needs when it runs in Java ({@link #dot}, {@link #axpy}).
 *
 * <p>Two implementations: {@code VectorInt8Kernel} (the JDK's incubating Vector API, loaded only when
 * the {@code jdk.incubator.vector} module is in the boot layer) and {@link ScalarInt8Kernel}, a plain
 * loop for JVMs started without {@code --add-modules jdk.incubator.vector} (a plugin host, Spark).
 */
public interface Int8Kernel {

    /**
     * @param q {@code [out, in]} row-major int8 weights
     * @param scale {@code [out]} per-output-row scales
     * @param in the input width
     * @param x {@code [rows, in]} row-major
     * @param rows how many rows of {@code x}
     * @param y {@code [rows, out]} row-major; only columns {@code from .. to} are written
     * @param out the output width (the row stride of {@code y})
     */
    void multiply(byte[] q, float[] scale, int in, float[] x, int rows, float[] y, int out, int from, int to);

    /**
     * Rows {@code from .. to} of {@code q}, each times its scale, as native-order floats at the start of
     * {@code target} (the prefill path's scratch, which the engine then reads in place).
     */
    void dequantize(byte[] q, float[] scale, int in, int from, int to, java.nio.ByteBuffer target);

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
    static Int8Kernel best() {
        return Int8Kernels.BEST;
    }
}
