package org.mix4j.tensor;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
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
 * <p>The number of ways is {@code -Dmix.threads=N} when set, else the available processors, and 1
 * whenever the engine itself runs more than one intra-op thread. Results are identical to the
 * unsplit op: every output element is computed by the same operation on the same inputs.
 */
public final class TensorParallel {

    private static final String THREAD_PREFIX = "mix-tensor-";

    private static volatile int ways = -1;
    private static volatile ExecutorService pool;

    private TensorParallel() {}

    /** How many parts a splittable op is cut into (1 = run it whole). */
    public static int ways() {
        int w = ways;
        if (w < 0) {
            synchronized (TensorParallel.class) {
                if (ways < 0) {
                    ways = decideWays();
                }
                w = ways;
            }
        }
        return w;
    }

    private static int decideWays() {
        String configured = System.getProperty("mix.threads");
        int wanted = Runtime.getRuntime().availableProcessors();
        if (configured != null && !configured.isBlank()) {
            try {
                wanted = Integer.parseInt(configured.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("-Dmix.threads must be a whole number, got '" + configured + "'");
            }
        }
        return engineThreads() == 1 ? Math.max(1, wanted) : 1;
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

    /** Overrides the number of ways (tests; 1 switches splitting off). */
    public static synchronized void setWays(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("ways must be >= 1, got " + n);
        }
        ways = n;
    }

    /**
     * Computes {@code part.apply(i)} for {@code i = 0 .. n-1} concurrently: part 0 on the calling
     * thread, the others on the pool. Returns the results in order; the first failure is rethrown
     * after every part has finished.
     */
    public static NDArray[] map(int n, IntFunction<NDArray> part) {
        NDArray[] out = new NDArray[n];
        if (n == 1 || Thread.currentThread().getName().startsWith(THREAD_PREFIX)) {
            for (int i = 0; i < n; i++) { // a part that splits again runs its parts itself: no pool deadlock
                out[i] = part.apply(i);
            }
            return out;
        }
        ExecutorService executor = pool(n - 1);
        @SuppressWarnings("unchecked")
        Future<NDArray>[] futures = new Future[n];
        for (int i = 1; i < n; i++) {
            int index = i;
            futures[i] = executor.submit(() -> part.apply(index));
        }
        RuntimeException failure = null;
        try {
            out[0] = part.apply(0);
        } catch (RuntimeException e) {
            failure = e;
        }
        for (int i = 1; i < n; i++) {
            try {
                out[i] = futures[i].get();
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (failure == null) {
                    failure = cause instanceof RuntimeException r ? r : new IllegalStateException(cause.getMessage(), cause);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (failure == null) {
                    failure = new IllegalStateException("interrupted while waiting for a tensor op", e);
                }
            }
        }
        if (failure != null) {
            for (NDArray a : out) {
                if (a != null) {
                    a.close();
                }
            }
            throw failure;
        }
        return out;
    }

    private static ExecutorService pool(int threads) {
        ExecutorService p = pool;
        if (p == null) {
            synchronized (TensorParallel.class) {
                if (pool == null) {
                    AtomicInteger count = new AtomicInteger();
                    pool = Executors.newFixedThreadPool(Math.max(threads, Runtime.getRuntime().availableProcessors()), r -> {
                        Thread t = new Thread(r, THREAD_PREFIX + count.incrementAndGet());
                        t.setDaemon(true);
                        return t;
                    });
                }
                p = pool;
            }
        }
        return p;
    }
}
