package org.mix4j.weights;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** Bookkeeping of one load: which tensors were used, which were missing. */
public final class LoadReport {

    private final String source;
    private final Set<String> used = new LinkedHashSet<>();
    private final Set<String> missing = new LinkedHashSet<>();
    private final java.util.Map<String, org.mix4j.api.Trainable.Projection> projections = new java.util.LinkedHashMap<>();
    private final java.util.Map<String, org.mix4j.api.Trainable.Projection> kernelProjections =
            new java.util.LinkedHashMap<>();
    private long missingElements;

    public LoadReport(String source) {
        this.source = source;
    }

    synchronized void used(String fullName) {
        used.add(fullName);
    }

    synchronized void missing(String fullName) {
        missing.add(fullName);
    }

    /** Records that the linear layer of {@code projection} computes the checkpoint module {@code fullName}. */
    public synchronized void projection(String fullName, org.mix4j.api.Trainable.Projection projection) {
        projections.put(fullName, projection);
    }

    /**
     * The linear projections built from this load under {@code prefix} (a component's weights
     * prefix), by module name without it, in the order they were built: what a component's
     * {@link org.mix4j.api.Trainable#projections()} returns.
     */
    public synchronized java.util.Map<String, org.mix4j.api.Trainable.Projection> projectionsUnder(String prefix) {
        java.util.Map<String, org.mix4j.api.Trainable.Projection> out = new java.util.LinkedHashMap<>();
        projections.forEach((name, p) -> {
            if (name.startsWith(prefix)) {
                out.put(name.substring(prefix.length()), p);
            }
        });
        return java.util.Collections.unmodifiableMap(out);
    }

    /**
     * Records a linear that computes a checkpoint module stored in another shape (a 1x1
     * convolution's kernel): a per-call LoRA may adapt it ({@link #adaptableUnder}), training does
     * not list it among the projections.
     */
    public synchronized void kernelProjection(String fullName, org.mix4j.api.Trainable.Projection projection) {
        kernelProjections.put(fullName, projection);
    }

    /** {@link #projectionsUnder} and the kernel projections under {@code prefix}: what a per-call LoRA can adapt. */
    public synchronized java.util.Map<String, org.mix4j.api.Trainable.Projection> adaptableUnder(String prefix) {
        java.util.Map<String, org.mix4j.api.Trainable.Projection> out = new java.util.LinkedHashMap<>(
                projectionsUnder(prefix));
        kernelProjections.forEach((name, p) -> {
            if (name.startsWith(prefix)) {
                out.put(name.substring(prefix.length()), p);
            }
        });
        return java.util.Collections.unmodifiableMap(out);
    }

    /** Records a missing tensor of {@code elements} values the model expected. */
    synchronized void missing(String fullName, long elements) {
        if (missing.add(fullName)) {
            missingElements = elements > Long.MAX_VALUE - missingElements ? Long.MAX_VALUE : missingElements + elements;
        }
    }

    /** Values the missing tensors would hold, at the shapes the model asked for. */
    synchronized long missingElements() {
        return missingElements;
    }

    /**
     * The error for a model whose missing tensors alone hold more values than the whole checkpoint
     * ({@code available}): its config does not describe this checkpoint, and loading is stopped
     * before it asks for more (a config with {@code num_hidden_layers: 1e9} would go on forever).
     */
    synchronized CheckpointException outgrows(long available) {
        List<String> names = new ArrayList<>(missing);
        String shown = String.join(", ", names.subList(0, Math.min(5, names.size())));
        return new CheckpointException(source + ": stopped loading after " + names.size()
                + " missing tensor(s) (" + shown + (names.size() > 5 ? ", ..." : "") + ") holding " + missingElements
                + " values, more than the whole checkpoint (" + available + "): the config does not describe this "
                + "checkpoint (check weights_prefix and sizes such as num_hidden_layers)");
    }

    /** How many names were missing so far (cheaper than {@link #missing()}). */
    public synchronized int missingCount() {
        return missing.size();
    }

    public synchronized List<String> missing() {
        return List.copyOf(missing);
    }

    public synchronized Set<String> used() {
        return Set.copyOf(used);
    }

    /** Names under {@code prefix} in {@code available} that no model asked for. */
    public synchronized List<String> unused(Collection<String> available, String prefix) {
        Set<String> out = new TreeSet<>();
        for (String n : available) {
            if (n.startsWith(prefix) && !used.contains(n)) {
                out.add(n);
            }
        }
        return new ArrayList<>(out);
    }

    /** Fails listing every missing tensor (up to 20, then a count). */
    public synchronized void throwIfMissing() {
        if (missing.isEmpty()) {
            return;
        }
        List<String> names = new ArrayList<>(missing);
        String shown = String.join(", ", names.subList(0, Math.min(20, names.size())));
        String more = names.size() > 20 ? " and " + (names.size() - 20) + " more" : "";
        throw new CheckpointException(source + ": " + names.size() + " tensor(s) the model needs are missing: "
                + shown + more);
    }
}
