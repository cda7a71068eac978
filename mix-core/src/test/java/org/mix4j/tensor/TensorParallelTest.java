package org.mix4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mix4j.tensor.TensorParallel;

class TensorParallelTest {

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void partsRunOnSeveralThreadsAndComeBackInOrder() {
        Set<String> threads = ConcurrentHashMap.newKeySet();
        NDArray[] out = TensorParallel.map(3, i -> {
            threads.add(Thread.currentThread().getName());
            return manager.create(new float[] {i});
        });
        assertEquals(3, out.length);
        for (int i = 0; i < 3; i++) {
            assertEquals(i, out[i].getFloat(0));
        }
        assertTrue(threads.contains(Thread.currentThread().getName()), "part 0 runs on the caller");
        assertTrue(threads.size() > 1, "other parts run elsewhere: " + threads);
    }

    @Test
    void aFailingPartFailsTheWholeAndReleasesTheOthers() {
        NDArray[] made = new NDArray[2];
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> TensorParallel.map(3, i -> {
            if (i == 1) {
                throw new IllegalStateException("part 1 broke");
            }
            NDArray a = manager.create(new float[] {i});
            made[i == 0 ? 0 : 1] = a;
            return a;
        }));
        assertEquals("part 1 broke", e.getMessage());
        for (NDArray a : made) {
            assertTrue(a == null || a.isReleased(), "finished parts are closed");
        }
    }

    @Test
    void aPartThatSplitsAgainRunsItsOwnPartsWithoutDeadlock() {
        NDArray[] out = TensorParallel.map(2, i -> {
            NDArray[] inner = TensorParallel.map(2, j -> manager.create(new float[] {10 * i + j}));
            return inner[0].add(inner[1]);
        });
        assertEquals(1f, out[0].getFloat(0));
        assertEquals(21f, out[1].getFloat(0));
    }

    @Test
    void refusesZeroWays() {
        assertThrows(IllegalArgumentException.class, () -> TensorParallel.of(0));
    }

    @Test
    void splitProductEqualsTheWholeProductAndSmallOnesStayWhole() {
        NDArray matrix = manager.randomNormal(new Shape(512, 600)); // [in, out]
        ParallelMatMul product = new ParallelMatMul(matrix, TensorParallel.of(2));
        NDArray x = manager.randomNormal(new Shape(3, 4, 512)); // 12 x 512 x 600 multiply-adds
        assertTrue(product.splits(x));
        NDArray split = product.apply(x);
        NDArray whole = x.matMul(matrix);
        assertEquals(new Shape(3, 4, 600), split.getShape());
        assertTrue(split.sub(whole).abs().max().getFloat() < 1e-5);
        NDArray small = manager.randomNormal(new Shape(1, 512));
        assertTrue(!product.splits(small), "a 512 x 600 matrix-vector product is below the split size");
        assertTrue(!new ParallelMatMul(matrix, TensorParallel.SERIAL).splits(x));
        assertNotEquals(0, product.apply(small).getShape().get(1));
    }

    @Test
    void manyCallersAtOnceEachGetTheirOwnPartsBack() throws Exception {
        int callers = 6;
        int rounds = 300;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(callers);
        try {
            java.util.List<java.util.concurrent.Future<Integer>> done = new java.util.ArrayList<>();
            for (int c = 0; c < callers; c++) {
                int caller = c;
                done.add(pool.submit(() -> {
                    int right = 0;
                    for (int r = 0; r < rounds; r++) {
                        int round = r;
                        try (NDManager m = manager.newSubManager()) {
                            NDArray[] out = TensorParallel.map(3, i -> m.create(new float[] {caller * 1e6f + round * 10 + i}));
                            for (int i = 0; i < 3; i++) {
                                right += out[i].getFloat(0) == caller * 1e6f + round * 10 + i ? 1 : 0;
                            }
                        }
                    }
                    return right;
                }));
            }
            for (java.util.concurrent.Future<Integer> f : done) {
                assertEquals(3 * rounds, f.get(60, java.util.concurrent.TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aWorkerThatWentToSleepIsWokenForTheNextPart() throws InterruptedException {
        Set<String> threads = ConcurrentHashMap.newKeySet();
        for (int round = 0; round < 3; round++) {
            NDArray[] out = TensorParallel.map(2, i -> {
                threads.add(Thread.currentThread().getName());
                return manager.create(new float[] {i});
            });
            assertEquals(1f, out[1].getFloat(0));
            Thread.sleep(20 + TensorWorkers.SPIN_NANOS / 1_000_000); // longer than a worker polls
        }
        assertTrue(threads.stream().anyMatch(t -> t.startsWith("mix-tensor-")), "parts ran on workers: " + threads);
    }
    @Test
    void oneCallerAfterAnotherReusesTheSameWorkers() {
        TensorParallel.map(2, i -> manager.create(new float[] {i})); // at least one worker exists
        int before = TensorWorkers.count();
        for (int round = 0; round < 3000; round++) {
            try (NDManager m = manager.newSubManager()) {
                NDArray[] out = TensorParallel.map(2, i -> m.create(new float[] {i}));
                assertEquals(1f, out[1].getFloat(0));
            }
        }
        assertTrue(TensorWorkers.count() <= before + 1, "workers grew from " + before + " to " + TensorWorkers.count()
                + ": a part found its worker still busy with the previous one");
    }
}
