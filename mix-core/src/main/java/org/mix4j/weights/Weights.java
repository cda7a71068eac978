package org.mix4j.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.Set;

/**
 * Named tensors a model is built from, by their checkpoint names, seen through a prefix. Models
 * ask for each tensor with the shape they expect, so a checkpoint that does not fit fails with the
 * tensor's name and both shapes.
 */
public interface Weights {

    /**
     * The tensor {@code name} (relative to this view's prefix), checked against {@code expected}.
     *
     * @throws CheckpointException when the shape differs; a missing tensor is recorded and reported
     *     for all missing names at once by {@link LoadReport#throwIfMissing()} (meanwhile a zero
     *     placeholder that takes no memory stands in), unless the missing tensors together would
     *     hold more values than the whole checkpoint: then loading stops at once
     */
    NDArray get(String name, Shape expected);

    /** The tensor {@code name} whatever its shape; throws at once when it is missing. */
    NDArray get(String name);

    boolean contains(String name);

    /**
     * Whether {@code name} is stored as int8 values with a {@code name_scale} of per-row scales beside it
     * ({@code weight} and {@code weight_scale}: a checkpoint written by {@code mix quantize}).
     */
    default boolean preQuantized(String name) {
        return false;
    }

    /** Stored shape of {@code name}, or {@code null} when absent. */
    Shape shape(String name);

    /** Names below this view's prefix, with the prefix removed. */
    Set<String> names();

    /** A view of the names that start with {@code prefix} (relative to this view). */
    Weights child(String prefix);

    /** The prefix of this view, from the root. */
    String prefix();

    /** Which tensors were asked for, missing, or never used. */
    LoadReport report();

    /** Where the tensors come from, for messages: a path, or "random init (seed 0)". */
    String source();
}
