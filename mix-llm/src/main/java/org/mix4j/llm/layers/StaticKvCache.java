package org.mix4j.llm.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.mix4j.api.KvCache;
import org.mix4j.api.RowKvCache;

/**
 * Keys and values of every layer in buffers allocated once at full capacity,
 * {@code [B, kvHeads, capacity, headDim]}. A step writes its new positions in place and reads
 * the filled prefix as a view, so decoding never copies the cache and native memory stays flat.
 * Rows can be filled one at a time ({@link RowKvCache}) for continuous batching.
 */
public final class StaticKvCache implements RowKvCache {

    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private final int batch;
    private final int capacity;
    private int length;
    private ByteBuffer[] inPlace; // per layer: keys, values as the engine's own bytes (empty: not available); see inPlace()

    public StaticKvCache(NDManager parent, int layers, int batch, int kvHeads, int capacity, int headDim,
            DataType dtype) {
        if (batch <= 0 || capacity <= 0) {
            throw new IllegalArgumentException("cache batch and capacity must be > 0, got " + batch + " and " + capacity);
        }
        this.manager = parent.newSubManager();
        this.batch = batch;
        this.capacity = capacity;
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
        Shape shape = new Shape(batch, kvHeads, capacity, headDim);
        for (int i = 0; i < layers; i++) {
            keys[i] = manager.zeros(shape, dtype);
            values[i] = manager.zeros(shape, dtype);
        }
    }

    private StaticKvCache(NDManager view, NDArray[] keys, NDArray[] values, int batch, int capacity, int length) {
        this.manager = view;
        this.keys = keys;
        this.values = values;
        this.batch = batch;
        this.capacity = capacity;
        this.length = length;
    }

    /** Checks that {@code t} more positions of {@code b} rows fit. */
    public void checkRoom(int b, int t) {
        if (b != batch) {
            throw new IllegalArgumentException("cache was made for batch " + batch + " but the input has " + b + " rows");
        }
        if (length + t > capacity) {
            throw new IllegalStateException("KV cache full: " + length + " cached + " + t + " new positions exceed its "
                    + "capacity of " + capacity + "; create the cache with a larger capacity");
        }
    }

    /**
     * Writes {@code k}, {@code v} {@code [B, kvH, T, D]} of {@code layer} at the current length and
     * returns views of all filled positions {@code [B, kvH, length + T, D]} in {@code step}.
     */
    public NDArray[] update(int layer, NDArray k, NDArray v, NDManager step) {
        int t = (int) k.getShape().get(2);
        // indices built directly: parsing an index string costs as much as the copy at decode sizes
        NDIndex slot = new NDIndex().addAllDim(2).addSliceDim(length, length + t);
        keys[layer].set(slot, k);
        values[layer].set(slot, v);
        NDIndex filled = new NDIndex().addAllDim(2).addSliceDim(0, length + t);
        return new NDArray[] {keys[layer].get(step, filled), values[layer].get(step, filled)};
    }

    /**
     * The keys and values of every layer (layer {@code i}'s at {@code 2i} and {@code 2i + 1}) as the
     * engine's own memory, native-order bytes of
     * {@code [B, kvHeads, capacity, headDim]} floats that Java reads and writes in place (what a
     * step computed in Java uses instead of {@link #update}); {@code null} when the buffers are not
     * contiguous float32 (a half-precision model). Valid until the cache is closed.
     */
    public synchronized ByteBuffer[] inPlace() {
        if (inPlace == null) {
            ByteBuffer[] all = new ByteBuffer[2 * keys.length];
            for (int i = 0; i < keys.length; i++) {
                for (int kind = 0; kind < 2; kind++) {
                    NDArray a = kind == 0 ? keys[i] : values[i];
                    ByteBuffer b = a.getDataType() == DataType.FLOAT32 ? a.toByteBuffer(true) : null;
                    if (b == null || !b.isDirect() || b.capacity() != a.size() * Float.BYTES) {
                        inPlace = new ByteBuffer[0]; // a copy, not the cache: asked once
                        return null;
                    }
                    all[2 * i + kind] = b.order(ByteOrder.nativeOrder());
                }
            }
            inPlace = all;
        }
        return inPlace.length == 0 ? null : inPlace.clone();
    }

    /** Marks {@code t} written positions as part of the cache (after all layers wrote them). */
    public void advance(int t) {
        length += t;
    }

    /** Forgets everything (the buffers are reused). */
    public void reset() {
        length = 0;
    }

    @Override
    public void truncate(int newLength) {
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("cannot truncate a cache of " + length + " positions to " + newLength);
        }
        length = newLength; // stale positions past the end are overwritten before they are read again
    }

    @Override
    public void copyRow(int row, int at, KvCache source) {
        if (!(source instanceof StaticKvCache from) || from.batch != 1 || from.keys.length != keys.length) {
            throw new IllegalArgumentException("copyRow needs a cache of batch one from the same model");
        }
        if (row < 0 || row >= batch || at < 0 || at + from.length > length) {
            throw new IllegalArgumentException("cannot copy " + from.length + " positions into row " + row + " at column "
                    + at + " of a cache of " + batch + " rows and " + length + " positions");
        }
        NDIndex target = new NDIndex().addSliceDim(row, row + 1).addAllDim().addSliceDim(at, at + from.length);
        NDIndex filled = new NDIndex().addAllDim(2).addSliceDim(0, from.length);
        for (int i = 0; i < keys.length; i++) {
            try (NDArray k = from.keys[i].get(filled); NDArray v = from.values[i].get(filled)) {
                keys[i].set(target, k);
                values[i].set(target, v);
            }
        }
    }

    @Override
    public void grow(int newLength) {
        if (newLength < length || newLength > capacity) {
            throw new IllegalArgumentException("cannot grow a cache of " + length + " positions to " + newLength
                    + " (capacity " + capacity + ")");
        }
        length = newLength;
    }

    @Override
    public void moveRow(int from, int to) {
        if (from < 0 || from >= batch || to < 0 || to >= batch) {
            throw new IllegalArgumentException("cannot move row " + from + " to row " + to + " of " + batch);
        }
        NDIndex source = new NDIndex().addSliceDim(from, from + 1).addAllDim().addSliceDim(0, length);
        NDIndex target = new NDIndex().addSliceDim(to, to + 1).addAllDim().addSliceDim(0, length);
        for (int i = 0; i < keys.length && length > 0; i++) {
            try (NDArray kView = keys[i].get(source); NDArray k = kView.duplicate();
                    NDArray vView = values[i].get(source); NDArray v = vView.duplicate()) {
                keys[i].set(target, k);
                values[i].set(target, v);
            }
        }
    }

    @Override
    public void padFront(int columns) {
        if (columns < 0 || length + columns > capacity) {
            throw new IllegalArgumentException("cannot pad " + length + " positions by " + columns + " (capacity "
                    + capacity + ")");
        }
        NDIndex kept = new NDIndex().addAllDim(2).addSliceDim(0, length);
        NDIndex moved = new NDIndex().addAllDim(2).addSliceDim(columns, columns + length);
        for (int i = 0; i < keys.length && length > 0; i++) {
            // a copy first: source and target overlap
            try (NDArray kView = keys[i].get(kept); NDArray k = kView.duplicate();
                    NDArray vView = values[i].get(kept); NDArray v = vView.duplicate()) {
                keys[i].set(moved, k);
                values[i].set(moved, v);
            }
        }
        length += columns;
    }

    @Override
    public void dropFront(int columns) {
        if (columns < 0 || columns > length) {
            throw new IllegalArgumentException("cannot drop " + columns + " of " + length + " positions");
        }
        NDIndex kept = new NDIndex().addAllDim(2).addSliceDim(columns, length);
        NDIndex front = new NDIndex().addAllDim(2).addSliceDim(0, length - columns);
        for (int i = 0; i < keys.length; i++) {
            // a copy first: source and target overlap
            try (NDArray kView = keys[i].get(kept); NDArray k = kView.duplicate();
                    NDArray vView = values[i].get(kept); NDArray v = vView.duplicate()) {
                keys[i].set(front, k);
                values[i].set(front, v);
            }
        }
        length -= columns;
    }

    @Override
    public KvCache firstRows(int rows, NDManager parent) {
        if (rows < 1 || rows > batch) {
            throw new IllegalArgumentException("a cache of " + batch + " rows has no first " + rows);
        }
        NDManager view = parent.newSubManager();
        NDIndex first = new NDIndex().addSliceDim(0, rows);
        NDArray[] k = new NDArray[keys.length];
        NDArray[] v = new NDArray[values.length];
        for (int i = 0; i < keys.length; i++) {
            k[i] = keys[i].get(view, first); // a view: writes through it land in this cache
            v[i] = values[i].get(view, first);
        }
        return new StaticKvCache(view, k, v, rows, capacity, length);
    }

    public int batch() {
        return batch;
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public int capacity() {
        return capacity;
    }

    @Override
    public synchronized void close() {
        inPlace = null;
        manager.close();
    }
}
