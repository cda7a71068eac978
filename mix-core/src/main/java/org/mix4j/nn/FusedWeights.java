package org.mix4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.mix4j.api.Trainable;
import org.mix4j.tensor.Int8Matrix;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.weights.CheckpointException;
import org.mix4j.weights.Weights;

/**
 * How the checkpoint tensors of one or more projections become the single weight of a
 * {@link Linear}: stacked along the output axis ({@link Linear#fused}), interleaved in row shards
 * ({@link Linear#fusedShards}), or, for a checkpoint written by {@code mix quantize}, read as int8
 * values and per-row scales ({@code name.weight} I8 and {@code name.weight_scale}) without a
 * floating-point copy ever being made.
 */
final class FusedWeights {

    /** The tensor that marks a projection stored pre-quantized, next to its I8 {@code weight}. */
    static final String SCALE = "weight_scale";

    private FusedWeights() {
    }

    /** Whether the projections are stored pre-quantized; all of them or none, else the checkpoint is refused. */
    static boolean preQuantized(Weights weights, List<String> names) {
        int found = 0;
        for (String name : names) {
            found += weights.preQuantized(dot(name) + "weight") ? 1 : 0;
        }
        if (found != 0 && found != names.size()) {
            throw new CheckpointException(weights.source() + ": of " + Linear.label(weights.prefix(), names) + ", only "
                    + found + " of " + names.size() + " projections are stored as int8 with a '" + SCALE + "'; "
                    + "a fused projection needs all or none");
        }
        return found > 0;
    }

    /** A layer over pre-quantized projections, stacked (and interleaved in {@code shards}) as the float path would. */
    static Linear int8(Weights weights, List<String> names, long in, long[] outs, boolean bias, int shards,
            TensorParallel parallel) {
        List<Int8Matrix> parts = new ArrayList<>();
        List<NDArray> biases = new ArrayList<>();
        NDArray standIn = null;
        int missing = weights.report().missingCount();
        for (int i = 0; i < names.size(); i++) {
            String dot = dot(names.get(i));
            try (NDArray values = weights.get(dot + "weight", new Shape(outs[i], in));
                    NDArray scales = weights.get(dot + SCALE, new Shape(outs[i]))) {
                if (weights.report().missingCount() > missing) { // the load fails once every missing name is known
                    return Linear.of(zeros(scales.getManager(), scales.getDataType(),
                            new Shape(java.util.Arrays.stream(outs).sum(), in)), null, parallel);
                }
                try {
                    parts.add(Int8Matrix.of(weights.prefix() + names.get(i), values, scales));
                } catch (IllegalArgumentException e) {
                    throw new CheckpointException(weights.source() + ": " + e.getMessage());
                }
                if (standIn == null) { // the model's float type
                    standIn = zeros(scales.getManager(), scales.getDataType(), new Shape(java.util.Arrays.stream(outs).sum(), in));
                }
            }
            if (bias) {
                biases.add(weights.get(dot + "bias", new Shape(outs[i])));
            }
        }
        Linear linear = Linear.ofPacked(Int8Matrix.stack(parts, shards), standIn,
                bias ? interleave(biases, shards) : null, outs.clone(), shards, Linear.label(weights.prefix(), names),
                parallel);
        long from = 0;
        for (int i = 0; shards == 1 && i < names.size(); i++) {
            weights.report().projection(weights.prefix() + names.get(i), new Trainable.Projection(linear, from,
                    from + outs[i]));
            from += outs[i];
        }
        return linear;
    }

    private static String dot(String name) {
        return name.isEmpty() ? "" : name + ".";
    }

    /** The parts' row ranges interleaved in {@code shards} (concatenated for one); the parts are closed. */
    static NDArray interleave(List<NDArray> parts, int shards) {
        if (shards == 1) {
            return concat(parts);
        }
        long width = parts.get(0).getShape().get(0) / shards;
        NDList pieces = new NDList();
        for (int s = 0; s < shards; s++) {
            for (NDArray p : parts) {
                pieces.add(p.get(new NDIndex("{}:{}", width * s, width * (s + 1))));
            }
        }
        NDArray joined = NDArrays.concat(pieces, 0);
        pieces.close();
        parts.forEach(NDArray::close);
        return joined;
    }

    /**
     * A zero of the fused shape that takes no memory, for when a part is missing: the load fails
     * once every missing name is known, and copying placeholders together would allocate the
     * full size (gigabytes for a 7B model read under a wrong prefix).
     */
    static NDArray standIn(List<NDArray> parts) {
        long[] shape = parts.get(0).getShape().getShape().clone();
        shape[0] = parts.stream().mapToLong(p -> p.getShape().get(0)).sum();
        NDArray out = zeros(parts.get(0).getManager(), parts.get(0).getDataType(), new Shape(shape));
        parts.forEach(NDArray::close);
        return out;
    }

    /** A zero of {@code shape} that takes no memory: one zero seen through a stride-0 view. */
    static NDArray zeros(ai.djl.ndarray.NDManager manager, ai.djl.ndarray.types.DataType type, Shape shape) {
        try (NDArray zero = manager.zeros(new Shape(), type)) {
            return zero.broadcast(shape);
        }
    }

    static NDArray concat(List<NDArray> parts) {
        if (parts.size() == 1) {
            return parts.get(0);
        }
        NDArray joined = NDArrays.concat(new NDList(parts), 0);
        parts.forEach(NDArray::close); // the fused copy replaces them
        return joined;
    }
}
