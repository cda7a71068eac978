package org.mix4j.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import java.util.Set;

/**
 * Weights for {@code init: random}: a component composed in YAML before it has been trained.
 * Every tensor is drawn from a generator seeded by the seed and the tensor's name, so a run is
 * reproducible and independent of the order in which a model asks for its tensors. Norm scales
 * start at 1, biases at 0, embeddings and matrices at normal(0, 1/sqrt(fan_in)).
 */
public final class RandomWeights implements Weights {

    private final NDManager manager;
    private final DataType floatType;
    private final long seed;
    private final String prefix;
    private final LoadReport report;

    public RandomWeights(NDManager manager, DataType floatType, long seed) {
        this(manager, floatType, seed, "", new LoadReport("random init (seed " + seed + ")"));
    }

    private RandomWeights(NDManager manager, DataType floatType, long seed, String prefix, LoadReport report) {
        this.manager = manager;
        this.floatType = floatType;
        this.seed = seed;
        this.prefix = prefix;
        this.report = report;
    }

    @Override
    public NDArray get(String name, Shape expected) {
        String full = prefix + name;
        report.used(full);
        long size = expected.size();
        if (size > Integer.MAX_VALUE) {
            throw new CheckpointException(source() + ": tensor '" + full + "' of shape " + expected + " is too large");
        }
        float[] values = new float[(int) size];
        String leaf = full.substring(full.lastIndexOf('.') + 1);
        String lower = full.toLowerCase(java.util.Locale.ROOT);
        boolean norm = lower.contains("norm") || lower.contains("ln_") || lower.contains(".ln");
        if (leaf.equals("bias")) {
            // zeros
        } else if (norm && leaf.equals("weight") && expected.dimension() == 1) {
            java.util.Arrays.fill(values, 1f);
        } else {
            long fanIn = expected.dimension() > 1 ? size / expected.get(0) : Math.max(1, size);
            double std = 1.0 / Math.sqrt(fanIn);
            Random random = new Random(seed * 0x9E3779B97F4A7C15L ^ full.hashCode());
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) (random.nextGaussian() * std);
            }
        }
        try (NDManager scope = manager.newSubManager()) {
            // made from a Java array, the tensor borrows a direct buffer; the clone owns its memory
            NDArray borrowed = scope.create(values, expected);
            NDArray array = floatType == DataType.FLOAT32 ? borrowed.duplicate() : borrowed.toType(floatType, false);
            array.attach(manager);
            array.setName(full);
            return array;
        }
    }

    @Override
    public NDArray get(String name) {
        throw new CheckpointException(source() + ": tensor '" + prefix + name
                + "' has no declared shape, so it cannot be initialised randomly");
    }

    @Override
    public boolean contains(String name) {
        return true;
    }

    @Override
    public Shape shape(String name) {
        return null;
    }

    @Override
    public Set<String> names() {
        return Set.of();
    }

    @Override
    public Weights child(String childPrefix) {
        return new RandomWeights(manager, floatType, seed, prefix + childPrefix, report);
    }

    @Override
    public String prefix() {
        return prefix;
    }

    @Override
    public LoadReport report() {
        return report;
    }

    @Override
    public String source() {
        return "random init (seed " + seed + ")";
    }
}
