package org.mix4j.serve;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The served models, loaded on first use and kept while they fit a byte budget. A model is loaded
 * once however many requests ask for it at the same time: the first loads, the others wait for that
 * load and never see a half-built model. Requests hold a {@link Lease}; a leased model is never
 * closed. When a load brings the resident bytes over the budget, the least recently used models that
 * no request holds are closed until it fits (a model bigger than the whole budget is still served,
 * alone). Bytes are what {@link ServedModel#bytes()} measured plus what the model holds for requests
 * at the time ({@link ServedModel#adapterBytes()}, rechecked as each request ends); a model loaded
 * before has its size known, so room is made before it loads again.
 */
public final class ModelCache implements AutoCloseable {

    /** Builds one model by name; called by one thread per load. */
    @FunctionalInterface
    public interface Loader {
        ServedModel load(String name);

        /** The {@code task:} of a model, known without loading it; {@code null} when unknown. */
        default String task(String name) {
            return null;
        }
    }

    /** What the cache did, for metrics. */
    public interface Events {
        void hit(String model);

        void miss(String model);

        void evicted(String model, long bytes);

        void resident(long bytes);
    }

    /** A request's hold on a loaded model; the model stays open until every lease is closed. */
    public final class Lease implements AutoCloseable {
        private final Slot slot;
        private boolean closed;

        private Lease(Slot slot) {
            this.slot = slot;
        }

        public ServedModel model() {
            return slot.model;
        }

        @Override
        public void close() {
            synchronized (ModelCache.this) {
                if (!closed) {
                    closed = true;
                    slot.leases--;
                    if (ModelCache.this.closed && slot.leases == 0 && slot.model != null) {
                        evict(slot); // the cache closed while this request ran
                    }
                    fitBudget(0, null);
                }
            }
        }
    }

    private static final class Slot {
        final String name;
        ServedModel model;
        CompletableFuture<Void> loading;
        int leases;
        long lastUse;
        long knownBytes = -1;

        Slot(String name) {
            this.name = name;
        }
    }

    private final Map<String, Slot> slots = new HashMap<>();
    private final Loader loader;
    private final long budget;
    private final Events events;
    private long clock;
    private boolean closed;

    /** @param names the models that may be loaded */
    public ModelCache(Set<String> names, Loader loader, long budgetBytes, Events events) {
        names.forEach(n -> slots.put(n, new Slot(n)));
        this.loader = loader;
        this.budget = budgetBytes;
        this.events = events;
    }

    /**
     * The model, loaded if it is not resident; blocks while it loads (in this thread or another).
     *
     * @throws IllegalArgumentException for a name the cache does not serve
     * @throws RuntimeException what the load threw
     */
    public Lease acquire(String name) {
        Slot slot = slots.get(name);
        if (slot == null) {
            throw new IllegalArgumentException("unknown model '" + name + "'");
        }
        boolean counted = false;
        while (true) {
            CompletableFuture<Void> load;
            boolean mine = false;
            synchronized (this) {
                if (closed) {
                    throw new IllegalStateException("the model cache is closed");
                }
                if (slot.model != null) {
                    if (!counted) {
                        events.hit(name);
                    }
                    return lease(slot);
                }
                if (!counted) {
                    events.miss(name);
                    counted = true;
                }
                if (slot.loading == null) {
                    slot.loading = new CompletableFuture<>();
                    mine = true;
                    if (slot.knownBytes > 0) {
                        fitBudget(slot.knownBytes, slot);
                    }
                }
                load = slot.loading;
            }
            if (mine) {
                return loadInto(slot, load);
            }
            try {
                load.join();
            } catch (CompletionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : e;
            }
            // loaded (or loaded and already evicted): look again
        }
    }

    private Lease loadInto(Slot slot, CompletableFuture<Void> load) {
        ServedModel model;
        try {
            model = loader.load(slot.name);
        } catch (RuntimeException | Error e) {
            synchronized (this) {
                slot.loading = null;
            }
            load.completeExceptionally(e);
            throw e;
        }
        synchronized (this) {
            slot.loading = null;
            if (closed) {
                model.close();
                load.complete(null);
                throw new IllegalStateException("the model cache is closed");
            }
            slot.model = model;
            slot.knownBytes = model.bytes();
            Lease lease = lease(slot);
            fitBudget(0, slot);
            load.complete(null);
            return lease;
        }
    }

    private Lease lease(Slot slot) {
        slot.leases++;
        slot.lastUse = ++clock;
        return new Lease(slot);
    }

    /** Closes least recently used, unleased models until {@code extra} more bytes fit (sparing {@code keep}). */
    private void fitBudget(long extra, Slot keep) {
        while (residentNow() + extra > budget) {
            Slot victim = null;
            for (Slot s : slots.values()) {
                if (s != keep && s.model != null && s.leases == 0 && (victim == null || s.lastUse < victim.lastUse)) {
                    victim = s;
                }
            }
            if (victim == null) {
                break;
            }
            evict(victim);
        }
        events.resident(residentNow());
    }

    /** Bytes of the resident models, with what each holds for requests now (its per-request LoRAs and ControlNets). */
    private long residentNow() {
        long sum = 0;
        for (Slot s : slots.values()) {
            if (s.model != null) {
                sum += s.model.bytes() + s.model.adapterBytes();
            }
        }
        return sum;
    }

    private void evict(Slot s) {
        long bytes = s.model.bytes();
        s.model.close();
        s.model = null;
        events.evicted(s.name, bytes);
    }

    /** The models resident now, least recently used first. */
    public synchronized List<String> resident() {
        List<Slot> loaded = new ArrayList<>(slots.values().stream().filter(s -> s.model != null).toList());
        loaded.sort((a, b) -> Long.compare(a.lastUse, b.lastUse));
        return loaded.stream().map(s -> s.name).toList();
    }

    /** Bytes the resident models hold. */
    public synchronized long residentBytes() {
        return residentNow();
    }

    /** Closes every model no request holds; later acquisitions fail. */
    @Override
    public synchronized void close() {
        closed = true;
        for (Slot s : slots.values()) {
            if (s.model != null && s.leases == 0) {
                evict(s);
            }
        }
        events.resident(residentNow());
    }
}
