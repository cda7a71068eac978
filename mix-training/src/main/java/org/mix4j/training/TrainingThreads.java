package org.mix4j.training;

import ai.djl.engine.Engine;

/**
 * The engine's intra-op threads while a model trains. Training runs every op on the calling thread
 * (grad mode is per thread, so the Java-thread split of {@code TensorParallel} is off while
 * recording), and {@code ./mix} runs PyTorch single-threaded for inference: without this a training
 * step would use one core. {@link #use} hands PyTorch the threads the split would have used, and
 * {@link #close} gives the previous count back.
 */
public final class TrainingThreads implements AutoCloseable {

    private final int previous;

    private TrainingThreads(int previous) {
        this.previous = previous;
    }

    /**
     * Sets PyTorch's intra-op threads to {@code threads} when it runs on one thread now (another
     * count was chosen on purpose and stays); does nothing on other engines.
     */
    public static TrainingThreads use(int threads) {
        int now = engineThreads();
        if (now == 1 && threads > 1 && set(threads)) {
            return new TrainingThreads(now);
        }
        return new TrainingThreads(-1);
    }

    /** PyTorch's intra-op threads, or -1 on another engine. */
    public static int engineThreads() {
        try {
            if (!"PyTorch".equals(Engine.getInstance().getEngineName())) {
                return -1;
            }
            return ((Number) jni().getMethod("getNumThreads").invoke(null)).intValue();
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return -1;
        }
    }

    /** Sets PyTorch's intra-op threads (by reflection: mix4j does not depend on the engine at compile time). */
    static boolean set(int threads) {
        try {
            jni().getMethod("setNumThreads", int.class).invoke(null, threads);
            return true;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return false;
        }
    }

    private static Class<?> jni() throws ClassNotFoundException {
        return Class.forName("ai.djl.pytorch.jni.JniUtils");
    }

    @Override
    public void close() {
        if (previous > 0) {
            set(previous);
        }
    }
}
