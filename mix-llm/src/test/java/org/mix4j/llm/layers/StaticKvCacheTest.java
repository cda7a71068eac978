package org.mix4j.llm.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.api.KvCache;
import org.mix4j.api.LanguageModel;
import org.mix4j.api.RowKvCache;
import org.mix4j.llm.TinyModels;

/** Rows filled one at a time (continuous batching) decode as the same sequences in caches of their own. */
class StaticKvCacheTest {

    private static final long[] SHORT = {40, 41, 42};
    private static final long[] LONG = {5, 17, 200, 33, 90};

    @TempDir
    Path dir;

    private NDManager manager;
    private LanguageModel model;

    @BeforeEach
    void open() throws Exception {
        manager = NDManager.newBaseManager();
        model = TinyModels.load(TinyModels.QWEN2_TIED, dir, 5, manager);
    }

    @AfterEach
    void close() {
        model.close();
        manager.close();
    }

    /** Prefills {@code ids} at positions 0.. into {@code cache}; returns the last position's logits. */
    private NDArray forward(long[] ids, long[] positions, long[] mask, int rows, KvCache cache) {
        int t = ids.length / rows;
        NDArray embeds = model.embed(manager.create(ids, new Shape(rows, t)));
        NDArray m = mask == null ? null : manager.create(mask, new Shape(rows, mask.length / rows));
        return model.forward(embeds, manager.create(positions, new Shape(rows, t)), m, cache).logits()
                .get(new NDIndex(":, -1, :"));
    }

    private static long[] range(int n) {
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = i;
        }
        return out;
    }

    @Test
    void copiedRowsDecodeAsTheirOwnCachesAndSurviveDroppingTheFront() {
        try (KvCache shortCache = model.newCache(manager, 1, 8); KvCache longCache = model.newCache(manager, 1, 8);
                KvCache batched = model.newCache(manager, 2, 8)) {
            forward(SHORT, range(3), null, 1, shortCache);
            forward(LONG, range(5), null, 1, longCache);
            RowKvCache rows = (RowKvCache) batched;
            rows.grow(6); // one stale column in front of both
            rows.copyRow(0, 3, shortCache); // columns 3..5
            rows.copyRow(1, 1, longCache); // columns 1..5
            // one step: token 7 for both rows, at their own next positions
            NDArray aloneShort = forward(new long[] {7}, new long[] {3}, null, 1, shortCache);
            NDArray aloneLong = forward(new long[] {7}, new long[] {5}, null, 1, longCache);
            long[] mask = {0, 0, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1};
            NDArray both = forward(new long[] {7, 7}, new long[] {3, 5}, mask, 2, batched);
            assertClose(aloneShort, both.get(0), "short row");
            assertClose(aloneLong, both.get(1), "long row");
            rows.dropFront(1); // the stale column goes; everything after it moves to the front
            assertEquals(6, batched.length());
            aloneShort = forward(new long[] {9}, new long[] {4}, null, 1, shortCache);
            aloneLong = forward(new long[] {9}, new long[] {6}, null, 1, longCache);
            long[] after = {0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
            both = forward(new long[] {9, 9}, new long[] {4, 6}, after, 2, batched);
            assertClose(aloneShort, both.get(0), "short row after the drop");
            assertClose(aloneLong, both.get(1), "long row after the drop");
        }
    }

    @Test
    void aStepOnTheFirstRowsWritesIntoTheWholeCache() {
        try (KvCache shortCache = model.newCache(manager, 1, 8); KvCache batched = model.newCache(manager, 3, 8)) {
            forward(SHORT, range(3), null, 1, shortCache);
            RowKvCache rows = (RowKvCache) batched;
            rows.grow(3);
            rows.copyRow(0, 0, shortCache);
            NDArray alone = forward(new long[] {7}, new long[] {3}, null, 1, shortCache);
            try (NDManager step = manager.newSubManager(); KvCache first = rows.firstRows(1, step)) {
                NDArray viaView = forward(new long[] {7}, new long[] {3}, new long[] {1, 1, 1, 1}, 1, first);
                assertClose(alone, viaView, "a step on the first row");
                assertEquals(4, first.length());
            }
            rows.grow(4); // the column the view wrote
            alone = forward(new long[] {9}, new long[] {4}, null, 1, shortCache);
            long[] mask = {1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
            NDArray all = forward(new long[] {9, 0, 0}, new long[] {4, 0, 0}, mask, 3, batched);
            assertClose(alone, all.get(0), "the next step on all rows sees the column the view wrote");
        }
    }

    @Test
    void paddingTheFrontKeepsEachRowsColumnsConsecutiveForASlidingWindow() throws Exception {
        try (LanguageModel mistral = TinyModels.load(TinyModels.MISTRAL_WINDOW,
                java.nio.file.Files.createDirectories(dir.resolve("mistral")), 7, manager)) {
            LanguageModel qwen = model;
            model = mistral; // what forward() runs
            try (KvCache shortCache = mistral.newCache(manager, 1, 8); KvCache longCache = mistral.newCache(manager, 1, 8);
                    KvCache batched = mistral.newCache(manager, 2, 12)) {
                forward(SHORT, range(3), null, 1, shortCache);
                forward(LONG, range(5), null, 1, longCache);
                RowKvCache rows = (RowKvCache) batched;
                rows.grow(3);
                rows.copyRow(0, 0, shortCache);
                rows.padFront(2); // the long prompt joins: the short row moves to columns 2..4
                rows.copyRow(1, 0, longCache);
                NDArray aloneShort = forward(new long[] {7}, new long[] {3}, null, 1, shortCache);
                NDArray aloneLong = forward(new long[] {7}, new long[] {5}, null, 1, longCache);
                long[] mask = {0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
                NDArray both = forward(new long[] {7, 7}, new long[] {3, 5}, mask, 2, batched);
                assertClose(aloneShort, both.get(0), "short row, window 3");
                assertClose(aloneLong, both.get(1), "long row, window 3");
            } finally {
                model = qwen;
            }
        }
    }

    @Test
    void rejectsRowsAndColumnsOutsideTheCache() {
        try (KvCache one = model.newCache(manager, 1, 4); KvCache batched = model.newCache(manager, 2, 4)) {
            forward(SHORT, range(3), null, 1, one);
            RowKvCache rows = (RowKvCache) batched;
            assertThrows(IllegalArgumentException.class, () -> rows.copyRow(0, 0, one), "the cache holds 0 columns");
            rows.grow(3);
            assertThrows(IllegalArgumentException.class, () -> rows.copyRow(2, 0, one));
            assertThrows(IllegalArgumentException.class, () -> rows.grow(5));
            assertThrows(IllegalArgumentException.class, () -> rows.copyRow(0, 0, batched));
        }
    }

    private static void assertClose(NDArray expected, NDArray actual, String what) {
        float diff = expected.reshape(-1).sub(actual.reshape(-1)).abs().max().getFloat();
        assertTrue(diff < 1e-5, what + " differs by " + diff);
    }
}
