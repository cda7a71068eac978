package org.mix4j.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * An exponential moving average of trainable tensors, kept beside them: ALBEF's momentum teacher
 * ({@code distillation:}) and the weights {@code ema:} writes. After each step {@code average = d
 * average + (1 - d) weights}; {@link #in} runs code with the average in the model's tensors and puts
 * the trained values back exactly.
 */
final class WeightAverage {

    private final Map<String, NDArray> average = new LinkedHashMap<>();
    private final NDManager manager;

    /** Starts as a copy of {@code weights} (held by {@code manager}). */
    WeightAverage(Map<String, NDArray> weights, NDManager manager) {
        this.manager = manager;
        weights.forEach((name, w) -> average.put(name, copy(w, manager)));
    }

    /** {@code average = decay average + (1 - decay) weights}; decay 0 copies the weights. */
    void moveToward(Map<String, NDArray> weights, double decay) {
        average.forEach((name, a) -> {
            try (NDArray w = weights.get(name).stopGradient(); NDArray part = w.mul(1 - decay)) {
                a.muli(decay).addi(part);
            }
        });
    }

    /**
     * {@code work} with the average's values in {@code weights} (the tensors the model reads), the
     * trained values put back afterwards, also when {@code work} throws.
     */
    <T> T in(Map<String, NDArray> weights, Supplier<T> work) {
        try (NDManager scope = manager.newSubManager()) {
            Map<String, NDArray> trained = new LinkedHashMap<>();
            weights.forEach((name, w) -> trained.put(name, copy(w, scope)));
            try {
                average.forEach((name, a) -> overwrite(weights.get(name), a));
                return work.get();
            } finally {
                trained.forEach((name, w) -> overwrite(weights.get(name), w));
            }
        }
    }

    /** The average's tensors by the weights' names (saved with a run's state, overwritten on resume). */
    Map<String, NDArray> tensors() {
        return average;
    }

    static NDArray copy(NDArray t, NDManager manager) {
        try (NDArray view = t.stopGradient()) {
            NDArray copy = view.duplicate();
            copy.attach(manager);
            return copy;
        }
    }

    /** Puts {@code value} into {@code target}'s own buffer (the model keeps its reference). */
    static void overwrite(NDArray target, NDArray value) {
        try (NDArray data = target.stopGradient()) {
            data.set(new NDIndex("..."), value);
        }
    }
}
