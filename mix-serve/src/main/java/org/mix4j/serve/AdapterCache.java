package org.mix4j.serve;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The LoRAs or ControlNets one generation model loaded for requests, by file name in the server's
 * folder, kept while their bytes fit a budget. A request holds a {@link Use}; a held entry is never
 * closed. An entry is loaded once however many requests ask for it: the first loads it, the others
 * wait for that load; requests for other entries go on meanwhile. Names are plain
 * file names only: no separators, no {@code ..}, nothing outside the folder.
 *
 * @param <T> a loaded LoRA or ControlNet
 */
final class AdapterCache<T extends AutoCloseable> implements AutoCloseable {

    /** Names as requests give them: what model names allow, without a path. */
    private static final String NAME = "[A-Za-z0-9][A-Za-z0-9._-]{0,127}";

    private final String kind;
    private final Path folder;
    private final String suffix;
    private final long budget;
    private final Function<Path, T> load;
    private final Function<T, Long> bytes;
    private final Map<String, Entry> entries = new LinkedHashMap<>(16, 0.75f, true); // access order: LRU first
    private final Map<String, CompletableFuture<Void>> loading = new HashMap<>();
    private volatile long held; // read without the lock: the model cache sums it while an entry may be loading
    private long hits;
    private long misses;
    private boolean closed;

    private final class Entry {
        final String name;
        final T value;
        final long size;
        int uses;

        Entry(String name, T value, long size) {
            this.name = name;
            this.value = value;
            this.size = size;
        }
    }

    /** A request's hold on a loaded entry. */
    final class Use implements AutoCloseable {
        private final Entry entry;
        private final boolean hit;
        private boolean released;

        private Use(Entry entry, boolean hit) {
            this.entry = entry;
            this.hit = hit;
        }

        T value() {
            return entry.value;
        }

        /** Whether the entry was resident already. */
        boolean hit() {
            return hit;
        }

        @Override
        public void close() {
            synchronized (AdapterCache.this) {
                if (!released) {
                    released = true;
                    entry.uses--;
                    fit();
                }
            }
        }
    }

    /**
     * @param kind {@code lora} or {@code controlnet}, for messages
     * @param folder where the entries are, or {@code null} when the server names none
     * @param suffix a LoRA is {@code NAME.safetensors}; a ControlNet is a folder {@code NAME} (empty suffix)
     */
    AdapterCache(String kind, Path folder, String suffix, long budget, Function<Path, T> load, Function<T, Long> bytes) {
        this.kind = kind;
        this.folder = folder;
        this.suffix = suffix;
        this.budget = budget;
        this.load = load;
        this.bytes = bytes;
    }

    /** The names a request may give, sorted; empty without a folder. */
    List<String> available() {
        return names(folder, suffix);
    }

    /** The entries of {@code folder}: files {@code NAME + suffix}, or with an empty suffix folders {@code NAME}. */
    static List<String> names(Path folder, String suffix) {
        if (folder == null || !Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(suffix) && n.length() > suffix.length())
                    .map(n -> n.substring(0, n.length() - suffix.length()))
                    .filter(n -> n.matches(NAME))
                    .filter(n -> suffix.isEmpty() ? Files.isDirectory(folder.resolve(n)) : Files.isRegularFile(
                            folder.resolve(n + suffix)))
                    .sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /**
     * Holds entry {@code name}, loading it on first use. Requests for an entry being loaded wait for
     * that load; requests for other entries do not.
     *
     * @param field the request field, for errors ({@code loras[0].name})
     * @throws ApiError 400 naming {@code field} for a name that is not one of {@link #available()}, or
     *     for an entry the model cannot apply (a LoCon LoRA)
     */
    Use use(String name, String field) {
        if (folder == null) {
            throw ApiError.invalid(field, field + ": this server has no " + kind + " folder (the server YAML's "
                    + kind + "s: key)");
        }
        List<String> names = available();
        if (name == null || !name.matches(NAME) || !names.contains(name)) {
            throw ApiError.invalid(field, field + ": no " + kind + " '" + name + "'; available: " + names);
        }
        boolean counted = false;
        while (true) {
            CompletableFuture<Void> pending;
            boolean mine = false;
            synchronized (this) {
                if (closed) {
                    throw new IllegalStateException("the model is closing");
                }
                Entry e = entries.get(name);
                if (e != null) {
                    if (!counted) {
                        hits++;
                    }
                    e.uses++;
                    return new Use(e, !counted);
                }
                if (!counted) {
                    misses++;
                    counted = true;
                }
                pending = loading.get(name);
                if (pending == null) {
                    pending = new CompletableFuture<>();
                    loading.put(name, pending);
                    mine = true;
                }
            }
            if (mine) {
                return loadInto(name, field, pending); // outside the lock: other entries stay usable
            }
            try {
                pending.join(); // another request loads it: then look again
            } catch (CompletionException x) {
                throw x.getCause() instanceof RuntimeException r ? r : x;
            }
        }
    }

    /** Loads {@code name} outside the lock and holds it for the caller. */
    private Use loadInto(String name, String field, CompletableFuture<Void> pending) {
        T value;
        try {
            value = load.apply(folder.resolve(name + suffix));
        } catch (RuntimeException | Error x) {
            RuntimeException thrown = x instanceof IllegalArgumentException || x instanceof UnsupportedOperationException
                    ? ApiError.invalid(field, field + ": " + kind + " '" + name + "': " + x.getMessage())
                    : x instanceof RuntimeException r ? r : new IllegalStateException(x);
            synchronized (this) {
                loading.remove(name);
            }
            pending.completeExceptionally(thrown);
            throw thrown;
        }
        synchronized (this) {
            loading.remove(name);
            pending.complete(null);
            if (closed) {
                closeQuietly(value);
                throw new IllegalStateException("the model is closing");
            }
            Entry e = new Entry(name, value, bytes.apply(value));
            entries.put(name, e);
            e.uses++;
            fit();
            return new Use(e, false);
        }
    }

    /** Closes least recently used entries no request holds until the rest fit the budget. */
    private void fit() {
        long total = entries.values().stream().mapToLong(x -> x.size).sum();
        List<Entry> victims = new ArrayList<>();
        for (Entry e : entries.values()) {
            if (total <= budget) {
                break;
            }
            if (e.uses == 0) {
                victims.add(e);
                total -= e.size;
            }
        }
        for (Entry e : victims) {
            entries.remove(e.name);
            closeQuietly(e.value);
        }
        held = total;
    }

    /** Bytes of the resident entries. */
    long bytes() {
        return held;
    }

    synchronized long hits() {
        return hits;
    }

    synchronized long misses() {
        return misses;
    }

    /** Closes every entry; the model is closing, so no request holds one. */
    @Override
    public synchronized void close() {
        closed = true;
        entries.values().forEach(e -> closeQuietly(e.value));
        entries.clear();
        held = 0;
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // freeing native memory; nothing to recover
        }
    }
}
