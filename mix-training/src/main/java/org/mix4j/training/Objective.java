package org.mix4j.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The objective-specific half of {@code mix train}: what a training sample is, the loss of a
 * micro-batch, the held-out metrics and the model written at the end. {@link Trainer} owns the rest
 * (data order, accumulation, clipping, AdamW, schedule, state, resume), the same for every objective.
 *
 * @param <E> a sample prepared for {@link #lossSum} (tokenized, decoded)
 */
public interface Objective<E> extends AutoCloseable {

    /** Every tensor of the trained components, with what trains marked. */
    Parameters parameters();

    /** Training samples (one epoch). */
    int size();

    /** Training sample {@code index}, ready for {@link #lossSum}. */
    E prepare(int index);

    /** What the step's loss is a mean over, counted in this sample: target tokens, or 1 per image. */
    long units(E sample);

    /** This sample's share of the throughput the progress line shows, in {@link #workUnit()}. */
    long work(E sample);

    /** {@code tokens} or {@code images}. */
    String workUnit();

    /**
     * The loss of a micro-batch summed over its {@link #units}, recorded for backward, in {@code scope}.
     *
     * @param seed fixes this micro-batch's randomness (noise, timesteps, negatives): the same on a resumed run
     */
    NDArray lossSum(List<E> micro, long seed, NDManager scope);

    /** Whether there is held-out data ({@code eval_data}). */
    boolean hasEval();

    /** Held-out metrics without gradients: {@code loss} first, then objective-specific ones (recall@k). */
    Map<String, Double> evaluate();

    /** After each optimizer step (an EMA teacher follows the student here). */
    default void afterStep() {}

    /** Tensors besides the trainable ones that a resumed run needs (an EMA teacher), by name. */
    default Map<String, NDArray> state() {
        return Map.of();
    }

    /** Writes the trained model where {@code mix run} / {@code mix generate} / {@code mix index} load it. */
    void write(Path output, NDManager manager);

    @Override
    void close();
}
