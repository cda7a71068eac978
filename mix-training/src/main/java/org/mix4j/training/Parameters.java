package org.mix4j.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.regex.Pattern;
import org.mix4j.api.Trainable;
import org.mix4j.api.Trainable.Projection;
import org.mix4j.nn.Linear;

/**
 * The tensors of a composed model under their full checkpoint names ({@code weights_prefix} +
 * name), which of them train, and the LoRA adapters added to them. Only trainable tensors require
 * gradients; everything else is frozen and keeps no gradient.
 */
public final class Parameters implements AutoCloseable {

    private final Map<String, NDArray> all = new LinkedHashMap<>();
    private final Map<String, Projection> projections = new LinkedHashMap<>();
    private final Map<String, NDArray> trainable = new LinkedHashMap<>();
    private final List<Linear> adapted = new ArrayList<>();
    private final NDManager adapters;

    public Parameters(NDManager parent) {
        this.adapters = parent.newSubManager();
    }

    /** Adds a component's tensors and projections under {@code prefix}. */
    public Parameters add(String prefix, Object component) {
        if (component instanceof Trainable t) {
            t.parameters().forEach((name, tensor) -> all.put(prefix + name, tensor));
            t.projections().forEach((name, p) -> projections.put(prefix + name, p));
        }
        return this;
    }

    /**
     * Marks every tensor whose full name matches one of {@code globs} ({@code *} any run of
     * characters, dots included; {@code ?} one character) as trainable.
     *
     * @throws IllegalArgumentException if a glob matches nothing (a typo would otherwise train nothing)
     */
    public Parameters train(List<String> globs) {
        for (String glob : globs) {
            Pattern pattern = glob(glob);
            int before = trainable.size();
            boolean matched = false;
            for (Map.Entry<String, NDArray> e : all.entrySet()) {
                if (pattern.matcher(e.getKey()).matches()) {
                    matched = true;
                    trainable.put(e.getKey(), e.getValue());
                }
            }
            if (!matched) {
                throw new IllegalArgumentException("trainable '" + glob + "' matches no parameter; names look like "
                        + all.keySet().stream().limit(3).toList() + (before == 0 ? "" : ""));
            }
        }
        trainable.values().forEach(t -> t.setRequiresGradient(true));
        return this;
    }

    /**
     * Adds LoRA adapters to every projection under {@code prefix} that {@code lora} targets; their
     * factors train. {@code init} gives the initial {@code A [r, in]} and {@code B [out, r]} of a module
     * (by full name), or {@code null} for peft's: A uniform in {@code +-1/sqrt(in)} (Kaiming with
     * a = sqrt(5)), B zero, so the adapted model starts as the base model.
     */
    public Parameters lora(String prefix, Lora lora, BiFunction<String, Shape[], NDArray[]> init, long seed) {
        java.util.Random random = new java.util.Random(seed);
        int added = 0;
        for (Map.Entry<String, Projection> e : projections.entrySet()) {
            String module = e.getKey();
            if (!module.startsWith(prefix) || !lora.targets(module.substring(prefix.length()))) {
                continue;
            }
            Projection p = e.getValue();
            long in = p.linear().inFeatures();
            long out = p.to() - p.from();
            Shape aShape = new Shape(lora.r(), in);
            Shape bShape = new Shape(out, lora.r());
            NDArray[] given = init == null ? null : init.apply(module, new Shape[] {aShape, bShape});
            NDArray a;
            NDArray b;
            if (given != null) {
                a = given[0].duplicate();
                b = given[1].duplicate();
            } else {
                float bound = (float) (1 / Math.sqrt(in));
                float[] values = new float[(int) aShape.size()];
                for (int i = 0; i < values.length; i++) {
                    values[i] = (random.nextFloat() * 2 - 1) * bound;
                }
                // made from a Java array, the tensor borrows a direct buffer freed when it closes: keep a
                // native copy (duplicate() clones; toType(same type, true) would share the buffer)
                try (NDArray borrowed = adapters.create(values, aShape);
                        NDArray typed = borrowed.toType(p.linear().weight().getDataType(), false)) {
                    a = typed.duplicate();
                }
                b = adapters.zeros(bShape, p.linear().weight().getDataType());
            }
            a.attach(adapters);
            b.attach(adapters);
            a.setRequiresGradient(true);
            b.setRequiresGradient(true);
            p.linear().adapt(new Linear.Adapter(p.from(), p.to(), a, b, lora.scaling()));
            adapted.add(p.linear());
            trainable.put(module + ".lora_A.weight", a);
            trainable.put(module + ".lora_B.weight", b);
            added++;
        }
        if (added == 0) {
            throw new IllegalArgumentException("lora target_modules " + lora.targetModules() + " match no projection under '"
                    + prefix + "'; projections look like " + projections.keySet().stream()
                            .filter(n -> n.startsWith(prefix)).limit(3).toList());
        }
        return this;
    }

    /** Every tensor by full name (frozen ones included; LoRA factors not). */
    public Map<String, NDArray> all() {
        return Collections.unmodifiableMap(all);
    }

    /** The trainable tensors by full name, LoRA factors as {@code <module>.lora_A.weight} / {@code lora_B.weight}. */
    public Map<String, NDArray> trainable() {
        return Collections.unmodifiableMap(trainable);
    }

    /** Names of trainable tensors that take no weight decay when decay is limited to matrices: biases and norm scales. */
    public Set<String> oneDimensional() {
        Set<String> out = new java.util.HashSet<>();
        trainable.forEach((name, t) -> {
            if (t.getShape().dimension() < 2) {
                out.add(name);
            }
        });
        return out;
    }

    static Pattern glob(String glob) {
        StringBuilder regex = new StringBuilder();
        for (char c : glob.toCharArray()) {
            switch (c) {
                case '*' -> regex.append(".*");
                case '?' -> regex.append('.');
                default -> regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(regex.toString());
    }

    /** Freezes everything again and removes the adapters (the base model as it was loaded, weights as trained). */
    @Override
    public void close() {
        trainable.values().forEach(t -> t.setRequiresGradient(false));
        adapted.forEach(Linear::clearAdapters);
        adapters.close();
    }
}
