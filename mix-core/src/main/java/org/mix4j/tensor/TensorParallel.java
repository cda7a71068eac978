package org.mix4j.tensor;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import java.util.function.IntFunction;

/**
 * Runs the independent parts of one large tensor operation (the column blocks of a matrix
 * product, the heads of an attention) on several Java threads at once, each part one ordinary
 * DJL op.
 *
 * <p>Why: PyTorch's own intra-op threads synchronise at the end of every op, also tiny ones, and
 * on a machine whose cores are shared a waiting worker costs milliseconds per op (see
 * docs/performance.md). With the engine single-threaded ({@code -Dai.djl.pytorch.num_threads=1},
 * what {@code ./mix} sets), small ops never wait, and the few large ops run in parallel here at a
 * coarse grain. With a multi-threaded engine this class does nothing ({@link #ways()} is 1), so the
 * two kinds of threads never multiply.
 *
 * <p>The number of ways is configuration: the runtime decides it once ({@link #forEngine}, from
 * {@code MixSettings}) and hands it to each component in its {@code ComponentContext}, so two
 * pipelines in one process can differ. Results are identical to the unsplit op: every output
 * element is computed by the same operation on the same inputs. The worker threads are one shared
 * set of daemon threads ({@link TensorWorkers}) that poll briefly for the next part before sleeping.
 */
public final class TensorParallel {

    /** Every op whole, on the calling thread. */
    public static final TensorParallel SERIAL = new TensorParallel(1);

    private final int ways;

    private TensorParallel(int ways) {
        this.ways = ways;
    }

    /** Splits ops {@code ways} ways (1 = run them whole). */
    public static TensorParallel of(int ways) {
        if (ways < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + ways);
        }
        return ways == 1 ? SERIAL : new TensorParallel(ways);
    }

    /**
     * {@code threads} ways when the engine runs ops on one intra-op thread, else 1: with a
     * multi-threaded engine the two kinds of threads would multiply.
     */
    public static TensorParallel forEngine(int threads) {
        return of(engineThreads() == 1 ? threads : 1);
    }

    /** How many parts a splittable op is cut into (1 = run it whole). */
    public int ways() {
        return ways;
    }

    /** The engine's intra-op threads (PyTorch only, found by reflection); -1 when unknown. */
    static int engineThreads() {
        try {
            if (!"PyTorch".equals(Engine.getInstance().getEngineName())) {
                return -1;
            }
            Object n = Class.forName("ai.djl.pytorch.jni.JniUtils").getMethod("getNumThreads").invoke(null);
            return ((Number) n).intValue();
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return -1;
        }
    }

    @Override
    public String toString() {
        return ways + (ways == 1 ? " way" : " ways");
    }

    /**
     * Computes {@code part.apply(i)} for {@code i = 0 .. n-1} concurrently: part 0 on the calling
     * thread, the others on idle {@link TensorWorkers} (a part no worker is free for runs on the
     * caller too). Returns the results in order; the first failure is rethrown after every part has
     * finished, and the parts that did finish are closed. While this thread records for autograd
     * ({@link org.mix4j.nn.Autograd#recording()}) every part runs on it, in order: grad mode is per
     * thread, and a part computed elsewhere would be missing from the backward pass.
     */
    public static NDArray[] map(int n, IntFunction<NDArray> part) {
        NDArray[] out = new NDArray[n];
        if (n == 1 || Thread.currentThread().getName().startsWith(TensorWorkers.THREAD_PREFIX)
                || org.mix4j.nn.Autograd.recording()) {
            for (int i = 0; i < n; i++) { // a part that splits again runs its parts itself: no deadlock
                out[i] = part.apply(i);
            }
            return out;
        }
        TensorWorkers.Job[] jobs = new TensorWorkers.Job[n];
        for (int i = 1; i < n; i++) {
            TensorWorkers.Job job = new TensorWorkers.Job(part, i);
            if (TensorWorkers.offer(job)) {
                jobs[i] = job;
            }
        }
        Throwable failure = null;
        for (int i = 0; i < n; i++) { // part 0 and any part no worker took
            if (jobs[i] == null) {
                try {
                    out[i] = part.apply(i);
                } catch (RuntimeException | Error e) {
                    failure = failure == null ? e : failure;
                }
            }
        }
        for (int i = 1; i < n; i++) {
            if (jobs[i] != null) {
                jobs[i].await();
                out[i] = jobs[i].result();
                failure = failure == null ? jobs[i].failure() : failure;
            }
        }
        if (failure != null) {
            for (NDArray a : out) {
                if (a != null) {
                    a.close();
                }
            }
            if (failure instanceof RuntimeException r) {
                throw r;
            }
            if (failure instanceof Error e) {
                throw e;
            }
            throw new IllegalStateException(failure.getMessage(), failure);
        }
        return out;
    }
}
