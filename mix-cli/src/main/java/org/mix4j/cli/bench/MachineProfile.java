package org.mix4j.cli.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import org.mix4j.tensor.ParallelMatMul;
import org.mix4j.tensor.TensorParallel;

/**
 * What this machine does through DJL in this process, the yardsticks of every other section:
 * fp32 matrix-product throughput (a 2048 x 2048 x 2048 product), streaming-read memory bandwidth
 * (the sum of a 256 MiB fp32 array, far larger than any cache), a 4096 x 4096 fp32
 * matrix-vector product (64 MiB of weights read once, what a decode step does), and the cost of
 * one tiny engine op (JNI, dispatch, allocation). The large probes run the way model code runs
 * them: split over {@link TensorParallel}'s threads when the engine is single-threaded.
 *
 * @param matmulGflops median fp32 matmul throughput
 * @param readGbs median streaming-read bandwidth (GB = 10^9 bytes)
 * @param gemvGbs median bandwidth of the matrix-vector product
 * @param opMicros median time of one tiny op
 */
public record MachineProfile(double matmulGflops, double readGbs, double gemvGbs, double opMicros) {

    static final String SECTION = "machine";
    private static final int MATMUL = 2048;
    private static final long READ_FLOATS = 64L << 20; // 256 MiB
    private static final int GEMV = 4096;
    private static final int OPS_PER_SAMPLE = 1000;

    /** Measures the probes, adding one row per probe to {@code run}. */
    static MachineProfile measure(BenchRun run) {
        try (NDManager m = NDManager.newBaseManager()) {
            BenchResult matmul = matmul(run, m);
            BenchResult read = read(run, m);
            BenchResult gemv = gemv(run, m);
            BenchResult op = tinyOp(run, m);
            MachineProfile p = new MachineProfile(matmul.median(), read.median(), gemv.median(), op.median());
            run.add(matmul);
            run.add(read);
            run.add(gemv.relativeTo(read.median(), "read bandwidth"));
            run.add(op);
            return p;
        }
    }

    private static BenchResult matmul(BenchRun run, NDManager m) throws RuntimeException {
        NDArray a = m.randomNormal(new Shape(MATMUL, MATMUL));
        ParallelMatMul b = new ParallelMatMul(m.randomNormal(new Shape(MATMUL, MATMUL)), run.parallel());
        double[] ms = run.time(2, run.runs(10), () -> b.apply(a).close());
        return BenchResult.rate(SECTION, "fp32 matmul 2048x2048x2048", "throughput", "GFLOP/s", ms,
                2.0 * MATMUL * MATMUL * MATMUL / 1e9);
    }

    private static BenchResult read(BenchRun run, NDManager m) {
        NDArray big = m.ones(new Shape(READ_FLOATS));
        int ways = run.parallel().ways();
        NDArray[] parts = new NDArray[ways]; // contiguous slices, one per thread
        for (int i = 0; i < ways; i++) {
            parts[i] = big.get(new NDIndex("{}:{}", READ_FLOATS * i / ways, READ_FLOATS * (i + 1) / ways));
        }
        double[] ms = run.time(2, run.runs(10), () -> {
            for (NDArray partial : TensorParallel.map(ways, i -> parts[i].sum())) {
                partial.close();
            }
        });
        big.close();
        return BenchResult.rate(SECTION, "sum of 256 MiB fp32", "streaming read", "GB/s", ms, READ_FLOATS * 4 / 1e9);
    }

    private static BenchResult gemv(BenchRun run, NDManager m) {
        NDArray w = m.randomNormal(new Shape(GEMV, GEMV));
        ParallelMatMul product = new ParallelMatMul(w.transpose(), run.parallel()); // as a decoder's Linear does it
        NDArray v = m.randomNormal(new Shape(1, GEMV));
        double[] ms = run.time(3, run.runs(20), () -> product.apply(v).close());
        w.close();
        return BenchResult.rate(SECTION, "fp32 matvec 4096x4096", "weights read", "GB/s", ms, 4.0 * GEMV * GEMV / 1e9);
    }

    private static BenchResult tinyOp(BenchRun run, NDManager m) {
        NDArray x = m.ones(new Shape(4));
        double[] ms = run.time(2, run.runs(20), () -> {
            for (int i = 0; i < OPS_PER_SAMPLE; i++) {
                x.add(1f).close();
            }
        });
        for (int i = 0; i < ms.length; i++) {
            ms[i] = ms[i] * 1000 / OPS_PER_SAMPLE; // µs per op
        }
        return BenchResult.of(SECTION, "tiny op (4-element add)", "time per op", "µs", ms);
    }

    JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("matmul_gflops", matmulGflops);
        o.addProperty("read_gbs", readGbs);
        o.addProperty("gemv_gbs", gemvGbs);
        o.addProperty("op_us", opMicros);
        return o;
    }
}
