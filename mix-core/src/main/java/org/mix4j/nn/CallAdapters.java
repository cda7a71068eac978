package org.mix4j.nn;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Low-rank updates (LoRA) that hold for one call on one thread, without touching the model: while
 * a {@link Scope} is open, {@link Linear#forward} on the thread that opened it adds
 * {@code scaling * (x A^T) B^T} of each adapter named for that linear, next to its own trained
 * adapters. Requests on other threads see the plain weights, so concurrent calls with different
 * LoRAs cannot see each other's. The product's worker threads ({@link org.mix4j.tensor.ParallelMatMul})
 * need no scope: the update is added on the calling thread after the product. Code that computes a
 * linear's product itself from {@link Linear#rowsT} / {@link Linear#columnsT} (the LLaMA MLP's
 * sharded path) bypasses {@link Linear#forward} and so these adapters; the diffusion UNet does not.
 */
public final class CallAdapters {

    private static final ThreadLocal<Map<Linear, List<Linear.Adapter>>> CURRENT = new ThreadLocal<>();

    private CallAdapters() {}

    /** An open set of per-call adapters; closing it restores what the thread had before. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Opens {@code adapters} on this thread for the duration of the returned scope (nested scopes add
     * up: an inner one sees the outer's adapters as well as its own).
     */
    public static Scope open(Map<Linear, List<Linear.Adapter>> adapters) {
        Map<Linear, List<Linear.Adapter>> before = CURRENT.get();
        Map<Linear, List<Linear.Adapter>> now = new IdentityHashMap<>();
        if (before != null) {
            before.forEach((linear, list) -> now.put(linear, new ArrayList<>(list)));
        }
        adapters.forEach((linear, list) -> now.computeIfAbsent(linear, l -> new ArrayList<>()).addAll(list));
        CURRENT.set(now);
        Thread owner = Thread.currentThread();
        return () -> {
            if (Thread.currentThread() != owner) {
                throw new IllegalStateException("a per-call adapter scope must be closed by the thread that opened it");
            }
            if (before == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(before);
            }
        };
    }

    /** Whether any per-call adapter is open on this thread (code that bypasses {@link Linear#forward} must not run then). */
    public static boolean anyOpen() {
        Map<Linear, List<Linear.Adapter>> open = CURRENT.get();
        return open != null && !open.isEmpty();
    }

    /** The adapters open for {@code linear} on this thread, or {@code null}. */
    static List<Linear.Adapter> of(Linear linear) {
        Map<Linear, List<Linear.Adapter>> open = CURRENT.get();
        return open == null ? null : open.get(linear);
    }
}
