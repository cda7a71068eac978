package org.mix4j.pipelines.decoding;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import org.mix4j.api.KvCache;
import org.mix4j.api.LanguageModel;
import org.mix4j.api.RowKvCache;

/**
 * The rows of one batched KV cache that sequences join and leave: which columns each row attends
 * to. The rows share the cache's column axis; a sequence that joins is placed so that its prompt
 * ends at the current last column (left-padded, as {@link DecodingLoop} pads a batch), and each
 * step adds one column to every row. When the axis is full, the columns that no active row uses any
 * more are dropped from the front. The cache exists only while some row is in use.
 */
final class CacheRows {

    private final LanguageModel model;
    private final NDManager parent;
    private final int capacity;
    private final long[][] attended; // [row][column]: 1 where the row's sequence has a position
    private NDManager manager;
    private RowKvCache cache;

    CacheRows(LanguageModel model, NDManager parent, int rows, int capacity) {
        this.model = model;
        this.parent = parent;
        this.capacity = capacity;
        this.attended = new long[rows][capacity];
    }

    /** Whether a cache of this model can be filled row by row. */
    static boolean supported(LanguageModel model, NDManager parent) {
        try (NDManager probe = parent.newSubManager(); KvCache cache = model.newCache(probe, 1, 1)) {
            return cache instanceof RowKvCache;
        }
    }

    /** Bytes one position of one row of this model's cache holds (keys and values of every layer). */
    static long bytesPerPosition(LanguageModel model, NDManager parent) {
        try (NDManager probe = parent.newSubManager(); KvCache cache = model.newCache(probe, 1, 1)) {
            long sum = 0;
            for (ai.djl.ndarray.NDArray a : probe.getManagedArrays()) {
                sum += a.getShape().size() * a.getDataType().getNumOfBytes();
            }
            return sum;
        }
    }

    /** Bytes the batched cache holds while it exists: every row's every position. */
    long bytes(long perPosition) {
        return perPosition * attended.length * capacity;
    }

    RowKvCache cache() {
        return cache;
    }

    /**
     * Copies {@code prompt} (a cache of batch one) into {@code row}, ending at the last column; a
     * prompt longer than the columns so far moves the other rows to the right first. Every row's
     * positions stay in consecutive columns, as a sliding window needs.
     */
    void join(int row, KvCache prompt) {
        if (cache == null) {
            manager = parent.newSubManager();
            cache = (RowKvCache) model.newCache(manager, attended.length, capacity);
        }
        int t = prompt.length();
        int length = cache.length();
        if (length < t) { // the rows in the cache move right, so that none gets a gap
            cache.padFront(t - length);
            for (long[] columns : attended) {
                System.arraycopy(columns, 0, columns, t - length, length);
                Arrays.fill(columns, 0, t - length, 0);
            }
        }
        int at = cache.length() - t;
        cache.copyRow(row, at, prompt);
        Arrays.fill(attended[row], 0);
        Arrays.fill(attended[row], at, at + t, 1);
    }

    void leave(int row) {
        Arrays.fill(attended[row], 0);
    }

    /** Moves a busy row into a free one below it, so that a step can leave out the free rows after it. */
    void move(int from, int to) {
        cache.moveRow(from, to);
        System.arraycopy(attended[from], 0, attended[to], 0, attended[to].length);
        Arrays.fill(attended[from], 0);
    }

    /**
     * Makes room for one more column: when the axis is full, drops the columns before the first one
     * any active row attends to. A sequence joins only if its prompt and all its new tokens fit in
     * the capacity, so an active row never fills the whole axis and something can always be dropped.
     *
     * @return whether columns were dropped
     */
    boolean makeRoom(boolean[] active) {
        int length = cache.length();
        if (length < capacity) {
            return false;
        }
        int drop = length;
        for (int r = 0; r < active.length; r++) {
            if (active[r]) {
                int first = 0;
                while (first < length && attended[r][first] == 0) {
                    first++;
                }
                drop = Math.min(drop, first);
            }
        }
        if (drop == 0) {
            throw new IllegalStateException("the batched KV cache is full (" + capacity + " positions) and a row uses "
                    + "all of them");
        }
        cache.dropFront(drop);
        for (long[] row : attended) {
            System.arraycopy(row, drop, row, 0, length - drop);
            Arrays.fill(row, length - drop, length, 0);
        }
        return true;
    }

    /**
     * The attention mask {@code [rows, length + 1]} of the next step over the first {@code rows}
     * rows, whose new column the active rows attend to (and free rows do not: they run on filler
     * input and their output is dropped).
     */
    NDArray stepMask(NDManager step, boolean[] active, int rows) {
        int length = cache.length();
        long[] flat = new long[rows * (length + 1)];
        for (int r = 0; r < attended.length; r++) {
            attended[r][length] = active[r] ? 1 : 0;
            if (r < rows) {
                System.arraycopy(attended[r], 0, flat, r * (length + 1), length + 1);
            }
        }
        return step.create(flat, new Shape(rows, length + 1));
    }

    /**
     * What the next step runs on: the first {@code rows} rows (the rest are free), so that one busy
     * row is decoded as a product of one row, which this engine does faster than one of several.
     */
    KvCache stepCache(int rows, NDManager step) {
        return rows == attended.length ? cache : cache.firstRows(rows, step);
    }

    /** After a step on {@code used}: a view of the first rows is closed, and the cache counts the column it wrote. */
    void stepped(KvCache used) {
        if (used != cache) {
            used.close();
            cache.grow(cache.length() + 1);
        }
    }

    /** Frees the cache (every row has left); the next join allocates it again. */
    void close() {
        if (manager != null) {
            manager.close();
        }
        manager = null;
        cache = null;
        for (long[] row : attended) {
            Arrays.fill(row, 0);
        }
    }
}
