package org.mix4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ModelCacheTest {

    /** A model of a given size that records whether it was closed. */
    static final class FakeModel implements ServedModel {
        final String name;
        final long bytes;
        volatile long adapterBytes;
        volatile boolean closed;

        FakeModel(String name, long bytes) {
            this.name = name;
            this.bytes = bytes;
        }

        @Override
        public String task() {
            return "text";
        }

        @Override
        public long bytes() {
            return bytes;
        }

        @Override
        public long adapterBytes() {
            return adapterBytes;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    private final Map<String, AtomicInteger> loads = new ConcurrentHashMap<>();
    private final List<FakeModel> built = new ArrayList<>();
    private final List<String> evicted = new ArrayList<>();

    private ModelCache cache(long budget, Map<String, Long> sizes, CountDownLatch gate) {
        return new ModelCache(sizes.keySet(), name -> {
            loads.computeIfAbsent(name, n -> new AtomicInteger()).incrementAndGet();
            try {
                gate.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            FakeModel m = new FakeModel(name, sizes.get(name));
            synchronized (built) {
                built.add(m);
            }
            return m;
        }, budget, new ModelCache.Events() {
            @Override
            public void hit(String model) {}

            @Override
            public void miss(String model) {}

            @Override
            public void evicted(String model, long bytes) {
                evicted.add(model);
            }

            @Override
            public void resident(long bytes) {}
        });
    }

    @Test
    void concurrentFirstAcquisitionsLoadOnceAndAllGetTheLoadedModel() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        ModelCache cache = cache(100, Map.of("a", 10L), gate);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<ServedModel>> got = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                got.add(pool.submit(() -> {
                    try (ModelCache.Lease lease = cache.acquire("a")) {
                        return lease.model();
                    }
                }));
            }
            Thread.sleep(200); // every thread is in acquire, one of them inside the (held) load
            gate.countDown();
            List<ServedModel> models = new ArrayList<>();
            for (Future<ServedModel> f : got) {
                models.add(f.get(10, TimeUnit.SECONDS));
            }
            models.forEach(m -> assertSame(built.get(0), m));
            assertEquals(1, loads.get("a").get());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aLoadOverTheBudgetClosesTheLeastRecentlyUsedModel() {
        CountDownLatch open = new CountDownLatch(0);
        ModelCache cache = cache(25, Map.of("a", 10L, "b", 10L, "c", 10L), open);
        cache.acquire("a").close();
        cache.acquire("b").close();
        cache.acquire("a").close(); // b is now the least recently used
        cache.acquire("c").close();
        assertEquals(List.of("b"), evicted);
        assertTrue(built.get(1).closed);
        assertFalse(built.get(0).closed);
        assertEquals(List.of("a", "c"), cache.resident());
        assertEquals(20, cache.residentBytes());
    }

    @Test
    void aLeasedModelIsNeverClosedToMakeRoom() {
        ModelCache cache = cache(15, Map.of("a", 10L, "b", 10L), new CountDownLatch(0));
        ModelCache.Lease a = cache.acquire("a");
        ModelCache.Lease b = cache.acquire("b"); // 20 bytes resident over a budget of 15: both are in use
        assertEquals(List.of(), evicted);
        assertEquals(20, cache.residentBytes());
        b.close(); // b is the only model no request holds: it goes, a stays under its request
        assertEquals(List.of("b"), evicted);
        assertFalse(built.get(0).closed, "a is in use");
        a.close();
        assertEquals(List.of("a"), cache.resident());
    }

    @Test
    void whatAModelHoldsForRequestsCountsWhenTheRequestEnds() {
        ModelCache cache = cache(25, Map.of("a", 10L, "b", 10L), new CountDownLatch(0));
        cache.acquire("a").close();
        ModelCache.Lease b = cache.acquire("b");
        built.get(1).adapterBytes = 8; // the request on b loads a LoRA: 28 bytes over a budget of 25
        assertEquals(28, cache.residentBytes());
        assertEquals(List.of(), evicted);
        b.close(); // checked as the request ends: a, least recently used, goes
        assertEquals(List.of("a"), evicted);
        assertEquals(18, cache.residentBytes());
    }

    @Test
    void aModelSizeKnownFromAnEarlierLoadMakesRoomBeforeItLoadsAgain() {
        ModelCache cache = cache(15, Map.of("a", 10L, "b", 10L), new CountDownLatch(0));
        cache.acquire("a").close();
        cache.acquire("b").close(); // evicts a after b loaded
        assertEquals(List.of("a"), evicted);
        cache.acquire("a").close(); // a's size is known: b goes before a loads
        assertEquals(List.of("a", "b"), evicted);
        assertEquals(2, loads.get("a").get());
        assertEquals(10, cache.residentBytes());
    }

    @Test
    void aFailedLoadIsReportedToEveryWaiterAndRetriedByTheNextRequest() {
        AtomicInteger attempts = new AtomicInteger();
        ModelCache cache = new ModelCache(Set.of("a"), name -> {
            if (attempts.incrementAndGet() == 1) {
                throw new IllegalStateException("disk on fire");
            }
            return new FakeModel(name, 1);
        }, 100, new ServerMetrics(Map.of()));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> cache.acquire("a"));
        assertEquals("disk on fire", e.getMessage());
        try (ModelCache.Lease lease = cache.acquire("a")) {
            assertEquals(1, lease.model().bytes());
        }
        assertThrows(IllegalArgumentException.class, () -> cache.acquire("nope"));
    }

    @Test
    void closingTheCacheClosesAModelOnlyWhenItsLastLeaseEnds() {
        ModelCache cache = cache(100, Map.of("a", 10L), new CountDownLatch(0));
        ModelCache.Lease lease = cache.acquire("a");
        cache.close();
        assertFalse(built.get(0).closed);
        lease.close();
        assertTrue(built.get(0).closed);
        assertThrows(IllegalStateException.class, () -> cache.acquire("a"));
    }
}
