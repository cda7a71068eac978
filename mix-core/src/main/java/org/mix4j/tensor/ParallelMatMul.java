package org.mix4j.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;

/**
 * {@code x · M} for a fixed matrix {@code M [in, out]} (usually the transposed view of a
 * {@code [out, in]} weight). When the product is large and its {@link TensorParallel} has more than
 * one way, it is computed as column blocks of {@code M} on that many threads and joined along the last
 * axis; the blocks are views, so the weight is never copied. Each output element is the same dot
 * product either way.
 */
public final class ParallelMatMul {

    /** Products smaller than this (multiply-adds) run whole: splitting would cost more than it saves. */
    static final long MIN_SPLIT_MACS = 1L << 20;

    private final NDArray matrix;
    private final int ways;
    private final long in;
    private final long out;
    private volatile NDArray[] blocks;

    /** @param matrix {@code [in, out]}; stays owned by the caller */
    public ParallelMatMul(NDArray matrix, TensorParallel parallel) {
        if (matrix.getShape().dimension() != 2) {
            throw new IllegalArgumentException("expected a [in, out] matrix, got " + matrix.getShape());
        }
        this.matrix = matrix;
        this.ways = parallel.ways();
        this.in = matrix.getShape().get(0);
        this.out = matrix.getShape().get(1);
    }

    /** Whether {@link #apply} would split the product with {@code x}. */
    public boolean splits(NDArray x) {
        return ways > 1 && out >= 2L * ways && x.size() / in * in * out >= MIN_SPLIT_MACS;
    }

    /** {@code [..., in]} -> {@code [..., out]} in {@code x}'s manager. */
    public NDArray apply(NDArray x) {
        if (!splits(x)) {
            return x.matMul(matrix);
        }
        NDArray[] columns = blocks();
        NDArray[] parts = TensorParallel.map(ways, i -> x.matMul(columns[i])); // [..., out / ways] each
        NDArray joined = NDArrays.concat(new NDList(parts), -1);
        for (NDArray p : parts) {
            p.close();
        }
        return joined;
    }

    private NDArray[] blocks() {
        NDArray[] b = blocks;
        if (b == null) {
            synchronized (this) {
                b = blocks; // another thread may have made them while this one waited
                if (b == null) {
                    b = new NDArray[ways];
                    for (int i = 0; i < ways; i++) {
                        b[i] = matrix.get(new NDIndex(":, {}:{}", out * i / ways, out * (i + 1) / ways)); // a view
                    }
                    blocks = b;
                }
            }
        }
        return b;
    }

    /** Closes the matrix (a view the owner made for this product) and the column blocks made of it. */
    public synchronized void close() {
        NDArray[] b = blocks;
        if (b != null) {
            for (NDArray block : b) {
                block.close();
            }
            blocks = null;
        }
        matrix.close();
    }
}
