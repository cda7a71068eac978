package org.mix4j.pipelines.retrieval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.mix4j.tensor.TensorParallel;

/**
 * Brute-force cosine search over L2-normalised fp16 embeddings, held as one fp16 {@code [N, D]}
 * tensor. A query is a single matrix-vector product: PyTorch's fp16 GEMV on CPU accumulates in fp32
 * and is bound by memory bandwidth, so half the bytes of fp32 make it about twice as fast. Its
 * result is rounded to fp16, so the top k are found in two steps: every row whose fp16 score could
 * still be in the top k (within twice the worst rounding error of the k-th score) is a candidate,
 * and the candidates are rescored exactly (double accumulation over the stored fp16 values and the
 * fp32 query) and sorted.
 */
public final class EmbeddingIndex implements AutoCloseable {

    /** One result: a row of the index and its cosine similarity with the query. */
    public record Hit(int row, double score) {}

    /**
     * Bound on |fp16 score - exact score| for unit vectors, with a factor of 2 to spare: rounding of
     * the output to fp16 (2^-11 relative, scores within [-1, 1]), rounding of the query to fp16
     * (2^-11 relative per component, subnormals included in the last term) and fp32 accumulation
     * over {@code dim} products.
     */
    private static double fp16ScoreError(int dim) {
        return 2 * (0x1p-11 + 0x1p-11 + dim * 0x1p-24);
    }

    /** Indexes smaller than this are scored by one product (splitting would cost more than it saves). */
    private static final int MIN_SPLIT_ROWS = 16384;

    private final NDManager manager;
    private final NDArray matrix; // [N, D] float16
    private final int count;
    private final int dim;
    private final TensorParallel parallel;
    private NDArray[] rowBlocks;

    private EmbeddingIndex(NDManager manager, NDArray matrix, int count, int dim, TensorParallel parallel) {
        this.manager = manager;
        this.matrix = matrix;
        this.count = count;
        this.dim = dim;
        this.parallel = parallel;
    }

    /**
     * An index over {@code count = embeddings.length / dim} rows; owns a child of {@code parent}.
     * A search of a large index scores blocks of rows on the threads of {@code parallel}.
     */
    public static EmbeddingIndex of(short[] embeddings, int dim, NDManager parent, TensorParallel parallel) {
        if (dim <= 0 || embeddings.length % dim != 0) {
            throw new IllegalArgumentException(embeddings.length + " values are not rows of dim " + dim);
        }
        int count = embeddings.length / dim;
        NDManager owned = parent.newSubManager();
        if (count == 0) {
            return new EmbeddingIndex(owned, null, 0, dim, parallel);
        }
        try (NDManager scope = owned.newSubManager()) {
            // The engine only borrows a Java buffer's memory; duplicate() gives it its own copy.
            NDArray borrowed = scope.create(fp16Buffer(embeddings), new Shape(count, dim), DataType.FLOAT16);
            NDArray matrix = borrowed.duplicate();
            matrix.attach(owned);
            return new EmbeddingIndex(owned, matrix, count, dim, parallel);
        } catch (RuntimeException | Error e) {
            owned.close();
            throw e;
        }
    }

    public int count() {
        return count;
    }

    public int dim() {
        return dim;
    }

    /**
     * The {@code k} rows most similar to {@code query} (normalised here), best first; ties keep
     * the lower row first.
     */
    public List<Hit> search(float[] query, int k) {
        if (query.length != dim) {
            throw new IllegalArgumentException("query has dim " + query.length + ", the index has dim " + dim);
        }
        if (k <= 0) {
            throw new IllegalArgumentException("k must be positive, got " + k);
        }
        float[] q = normalized(query);
        if (count == 0) {
            return List.of();
        }
        try (NDManager scope = manager.newSubManager()) {
            short[] q16 = new short[dim];
            for (int i = 0; i < dim; i++) {
                q16[i] = Fp16.fromFloat(q[i]);
            }
            NDArray queryArray = scope.create(fp16Buffer(q16), new Shape(dim), DataType.FLOAT16);
            // [N, D] x [D] -> [N]: the matrix-vector product takes PyTorch's fp16 GEMV path. It is
            // the only native op per query: small ops run on the engine's thread pool too, and on a
            // busy machine each one can cost milliseconds of waiting for a descheduled thread.
            float[] approx = score(queryArray);
            int kk = Math.min(k, count);
            float threshold = TopK.kthLargest(approx, kk) - (float) fp16ScoreError(dim);
            long[] candidates = TopK.atLeast(approx, threshold);
            List<Hit> hits = new ArrayList<>(candidates.length);
            for (long row : candidates) {
                float[] values;
                try (NDArray view = matrix.get(row)) { // one row: a copy of 2 * dim bytes
                    values = halves(view, dim);
                }
                double dot = 0;
                for (int i = 0; i < dim; i++) {
                    dot += (double) values[i] * q[i];
                }
                hits.add(new Hit((int) row, dot));
            }
            hits.sort(Comparator.comparingDouble(Hit::score).reversed().thenComparingInt(Hit::row));
            return List.copyOf(hits.subList(0, Math.min(kk, hits.size())));
        }
    }

    /**
     * fp16 scores of every row, {@code [N]}. With the index's threads the rows are cut
     * into blocks (views), one product per thread: the GEMV is bound by memory bandwidth, which one
     * core alone does not saturate.
     */
    private float[] score(NDArray queryArray) {
        int ways = count >= MIN_SPLIT_ROWS ? parallel.ways() : 1;
        NDArray[] blocks = ways == 1 ? new NDArray[] {matrix} : rowBlocks(ways);
        NDArray[] parts = TensorParallel.map(ways, i -> blocks[i].matMul(queryArray)); // results join the matrix's manager
        float[] approx = new float[count];
        int at = 0;
        for (NDArray part : parts) {
            int n = (int) part.size();
            System.arraycopy(halves(part, n), 0, approx, at, n);
            at += n;
            part.close();
        }
        return approx;
    }

    /** Row blocks of the matrix (views), made once per number of ways. */
    private synchronized NDArray[] rowBlocks(int ways) {
        if (rowBlocks == null || rowBlocks.length != ways) {
            rowBlocks = new NDArray[ways];
            for (int i = 0; i < ways; i++) {
                rowBlocks[i] = matrix.get(new NDIndex("{}:{}", (long) count * i / ways, (long) count * (i + 1) / ways));
            }
        }
        return rowBlocks;
    }

    /** The values of a float16 array, decoded in Java (no engine op). */
    private static float[] halves(NDArray array, int n) {
        ShortBuffer raw = array.toByteBuffer().order(ByteOrder.nativeOrder()).asShortBuffer();
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = Fp16.toFloat(raw.get(i));
        }
        return out;
    }

    /** {@code v / |v|}; a zero vector stays zero. */
    public static float[] normalized(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        if (!(sum > 0) || Double.isInfinite(sum)) {
            if (Double.isNaN(sum) || Double.isInfinite(sum)) {
                throw new IllegalArgumentException("embedding contains NaN or infinite values");
            }
            return v.clone();
        }
        double inv = 1 / Math.sqrt(sum);
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) (v[i] * inv);
        }
        return out;
    }

    private static ByteBuffer fp16Buffer(short[] values) {
        ByteBuffer b = ByteBuffer.allocateDirect(values.length * 2).order(ByteOrder.nativeOrder());
        b.asShortBuffer().put(values);
        return b;
    }

    @Override
    public void close() {
        manager.close();
    }
}
