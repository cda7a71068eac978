package org.mix4j.nn;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

/**
 * Training on this thread: {@link #record()} turns on the engine's gradient recording, and while
 * it is on the layers' in-place arithmetic ({@link #addi}, {@link #muli}) computes new arrays
 * instead, because autograd needs the values an in-place update would overwrite. Inference keeps
 * the in-place forms (one allocation less per op). Grad mode belongs to a thread: work a layer
 * hands to other threads is not recorded, so layers run whole while recording.
 */
public final class Autograd {

    private static final ThreadLocal<int[]> DEPTH = ThreadLocal.withInitial(() -> new int[1]);

    private Autograd() {}

    /** Whether this thread records operations for a backward pass. */
    public static boolean recording() {
        return DEPTH.get()[0] > 0;
    }

    /** Records operations on this thread until the returned handle closes. */
    public static Recording record() {
        return new Recording(Engine.getInstance().newGradientCollector());
    }

    /** {@code a + b}, into {@code a} unless recording. */
    public static NDArray addi(NDArray a, NDArray b) {
        return recording() ? a.add(b) : a.addi(b);
    }

    /** {@code a + b}, into {@code a} unless recording. */
    public static NDArray addi(NDArray a, Number b) {
        return recording() ? a.add(b) : a.addi(b);
    }

    /** {@code a * b}, into {@code a} unless recording. */
    public static NDArray muli(NDArray a, NDArray b) {
        return recording() ? a.mul(b) : a.muli(b);
    }

    /** {@code a * b}, into {@code a} unless recording. */
    public static NDArray muli(NDArray a, Number b) {
        return recording() ? a.mul(scalar(a, b)) : a.muli(b);
    }

    /** {@code a / b}, into {@code a} unless recording. */
    public static NDArray divi(NDArray a, Number b) {
        return recording() ? a.div(scalar(a, b)) : a.divi(b);
    }

    /** {@code a * b} (a new array). */
    public static NDArray mul(NDArray a, Number b) {
        return recording() ? a.mul(scalar(a, b)) : a.mul(b);
    }

    /** {@code a / b} (a new array). */
    public static NDArray div(NDArray a, Number b) {
        return recording() ? a.div(scalar(a, b)) : a.div(b);
    }

    /**
     * {@code b} as a 0-d array of {@code a}'s type in native memory. DJL's {@code mul(Number)} and
     * {@code div(Number)} wrap the number in an array backed by a Java direct buffer and close it
     * right after the op; autograd keeps that array for the backward pass (the factor of a product,
     * the divisor of a quotient), and once the collector frees the buffer the gradient reads freed
     * memory: NaN gradients whenever a GC ran in between. A native scalar lives as long as the graph needs it.
     */
    private static NDArray scalar(NDArray a, Number b) {
        return a.getManager().full(new Shape(), b.floatValue(), a.getDataType());
    }

    /** An open recording: {@link #backward} computes the gradients of what was recorded. */
    public static final class Recording implements AutoCloseable {
        private final GradientCollector collector;
        private boolean open = true;

        private Recording(GradientCollector collector) {
            this.collector = collector;
            DEPTH.get()[0]++;
        }

        /** Accumulates {@code d target / d p} into every array {@code p} that requires a gradient. */
        public void backward(NDArray target) {
            collector.backward(target);
        }

        @Override
        public void close() {
            if (open) {
                open = false;
                DEPTH.get()[0]--;
                collector.close();
            }
        }
    }
}
