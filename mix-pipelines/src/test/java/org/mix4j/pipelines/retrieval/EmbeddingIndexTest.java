package org.mix4j.pipelines.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mix4j.tensor.TensorParallel;

/** Top-k search against a brute-force double-precision scan of the stored (fp16) vectors. */
class EmbeddingIndexTest {

    static NDManager root;

    @BeforeAll
    static void start() {
        root = NDManager.newBaseManager();
    }

    @AfterAll
    static void stop() {
        root.close();
    }

    static short[] unitRows(int count, int dim, Random random) {
        short[] values = new short[count * dim];
        for (int r = 0; r < count; r++) {
            float[] v = new float[dim];
            for (int i = 0; i < dim; i++) {
                v[i] = (float) random.nextGaussian();
            }
            v = EmbeddingIndex.normalized(v);
            for (int i = 0; i < dim; i++) {
                values[r * dim + i] = Fp16.fromFloat(v[i]);
            }
        }
        return values;
    }

    /** Every row's exact score, sorted best first (ties: lower row first). */
    static List<EmbeddingIndex.Hit> bruteForce(short[] values, int dim, float[] query) {
        double norm = 0;
        for (float x : query) {
            norm += (double) x * x;
        }
        float[] q = new float[dim];
        for (int i = 0; i < dim; i++) {
            q[i] = (float) (query[i] / Math.sqrt(norm));
        }
        List<EmbeddingIndex.Hit> all = new ArrayList<>();
        for (int r = 0; r < values.length / dim; r++) {
            double dot = 0;
            for (int i = 0; i < dim; i++) {
                dot += (double) Fp16.toFloat(values[r * dim + i]) * q[i];
            }
            all.add(new EmbeddingIndex.Hit(r, dot));
        }
        all.sort(Comparator.comparingDouble(EmbeddingIndex.Hit::score).reversed()
                .thenComparingInt(EmbeddingIndex.Hit::row));
        return all;
    }

    static void assertSameTopK(List<EmbeddingIndex.Hit> expected, List<EmbeddingIndex.Hit> actual, int k) {
        assertEquals(Math.min(k, expected.size()), actual.size());
        for (int i = 0; i < actual.size(); i++) {
            assertEquals(expected.get(i).row(), actual.get(i).row(), "rank " + i);
            assertEquals(expected.get(i).score(), actual.get(i).score(), 1e-9, "rank " + i);
        }
    }

    @Test
    void topKEqualsABruteForceScan() {
        Random random = new Random(11);
        int dim = 64;
        short[] values = unitRows(3000, dim, random);
        try (EmbeddingIndex index = EmbeddingIndex.of(values, dim, root, TensorParallel.SERIAL)) {
            for (int query = 0; query < 20; query++) {
                float[] q = new float[dim];
                for (int i = 0; i < dim; i++) {
                    q[i] = (float) random.nextGaussian() * 3; // not unit: search normalises
                }
                List<EmbeddingIndex.Hit> expected = bruteForce(values, dim, q);
                for (int k : new int[] {1, 10, 100}) {
                    assertSameTopK(expected, index.search(q, k), k);
                }
            }
        }
    }

    @Test
    void nearDuplicatesCloserThanFp16ResolutionAreRankedExactly() {
        // one base vector and copies nudged by less than the fp16 rounding of their scores
        Random random = new Random(12);
        int dim = 32;
        int count = 400;
        float[] base = new float[dim];
        for (int i = 0; i < dim; i++) {
            base[i] = (float) random.nextGaussian();
        }
        short[] values = new short[count * dim];
        for (int r = 0; r < count; r++) {
            float[] v = base.clone();
            v[r % dim] += (float) (random.nextGaussian() * 2e-3);
            v = EmbeddingIndex.normalized(v);
            for (int i = 0; i < dim; i++) {
                values[r * dim + i] = Fp16.fromFloat(v[i]);
            }
        }
        try (EmbeddingIndex index = EmbeddingIndex.of(values, dim, root, TensorParallel.SERIAL)) {
            List<EmbeddingIndex.Hit> expected = bruteForce(values, dim, base);
            assertSameTopK(expected, index.search(base, 25), 25);
        }
    }

    @Test
    void asksForMoreThanThereAreReturnsAllSorted() {
        int dim = 8;
        short[] values = unitRows(5, dim, new Random(13));
        float[] q = {1, 0, 0, 0, 0, 0, 0, 0};
        try (EmbeddingIndex index = EmbeddingIndex.of(values, dim, root, TensorParallel.SERIAL)) {
            assertSameTopK(bruteForce(values, dim, q), index.search(q, 50), 50);
        }
    }

    @Test
    void emptyIndexFindsNothing() {
        try (EmbeddingIndex index = EmbeddingIndex.of(new short[0], 16, root, TensorParallel.SERIAL)) {
            assertTrue(index.search(new float[16], 5).isEmpty());
        }
    }

    @Test
    void rejectsQueriesOfTheWrongWidthAndNonPositiveK() {
        try (EmbeddingIndex index = EmbeddingIndex.of(unitRows(3, 8, new Random(14)), 8, root, TensorParallel.SERIAL)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> index.search(new float[7], 1));
            assertTrue(e.getMessage().contains("dim 7") && e.getMessage().contains("dim 8"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> index.search(new float[8], 0));
        }
    }

    @Test
    void searchesDoNotAccumulateNativeArrays() {
        int dim = 16;
        try (NDManager m = root.newSubManager(); EmbeddingIndex index = EmbeddingIndex.of(unitRows(100, dim,
                new Random(15)), dim, m, TensorParallel.SERIAL)) {
            float[] q = new float[dim];
            q[0] = 1;
            index.search(q, 3);
            int before = m.getManagedArrays().size();
            for (int i = 0; i < 50; i++) {
                index.search(q, 3);
            }
            assertEquals(before, m.getManagedArrays().size());
        }
    }
}
