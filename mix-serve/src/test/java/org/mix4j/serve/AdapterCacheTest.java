package org.mix4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The per-model LoRA / ControlNet cache: names, loading once, LRU by bytes, held entries kept. */
class AdapterCacheTest {

    @TempDir
    Path dir;

    /** A loaded entry of {@code bytes} that records being closed. */
    private static final class Fake implements AutoCloseable {
        final String file;
        final long bytes;
        boolean closed;

        Fake(String file, long bytes) {
            this.file = file;
            this.bytes = bytes;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    private final List<Fake> loaded = new ArrayList<>();

    private AdapterCache<Fake> cache(long budget) throws IOException {
        for (String name : List.of("a", "b", "c")) {
            Files.writeString(dir.resolve(name + ".safetensors"), name);
        }
        Files.writeString(dir.resolve("notes.txt"), "not a LoRA");
        return new AdapterCache<>("lora", dir, ".safetensors", budget, file -> {
            Fake f = new Fake(file.getFileName().toString(), 100);
            loaded.add(f);
            return f;
        }, f -> f.bytes);
    }

    @Test
    void listsTheFolderAndLoadsEachEntryOnce() throws IOException {
        AdapterCache<Fake> cache = cache(1000);
        assertEquals(List.of("a", "b", "c"), cache.available());
        Fake first;
        try (AdapterCache<Fake>.Use use = cache.use("a", "loras[0].name")) {
            assertFalse(use.hit());
            first = use.value();
            assertEquals("a.safetensors", first.file);
        }
        try (AdapterCache<Fake>.Use use = cache.use("a", "loras[0].name")) {
            assertTrue(use.hit());
            assertSame(first, use.value());
        }
        assertEquals(1, cache.hits());
        assertEquals(1, cache.misses());
        assertEquals(100, cache.bytes());
        cache.close();
        assertTrue(first.closed);
    }

    @Test
    void evictsTheLeastRecentlyUsedButNeverAHeldEntry() throws IOException {
        AdapterCache<Fake> cache = cache(200);
        AdapterCache<Fake>.Use a = cache.use("a", "f");
        cache.use("b", "f").close();
        cache.use("c", "f").close(); // over 200: b (least recent, not held) goes; a is held
        assertFalse(loaded.get(0).closed, "a is held");
        assertTrue(loaded.get(1).closed, "b was least recently used");
        assertFalse(loaded.get(2).closed);
        assertEquals(200, cache.bytes());
        a.close();
        try (AdapterCache<Fake>.Use again = cache.use("b", "f")) {
            assertFalse(again.hit(), "b loads again");
        }
        assertTrue(loaded.get(0).closed, "a, released and now least recent, made room");
        assertEquals(200, cache.bytes());
    }

    @Test
    void refusesNamesOutsideTheFolderNamingTheField() throws IOException {
        AdapterCache<Fake> cache = cache(1000);
        for (String bad : List.of("../a", "a.safetensors", "notes", "/a", ".a", "", "d")) {
            ApiError e = assertThrows(ApiError.class, () -> cache.use(bad, "loras[2].name"), bad);
            assertEquals("loras[2].name", e.param());
            assertTrue(e.getMessage().contains("[a, b, c]"), e.getMessage());
        }
        assertTrue(loaded.isEmpty());
    }

    @Test
    void aSlowLoadBlocksOnlyTheRequestsForThatEntry() throws Exception {
        for (String name : List.of("a", "b")) {
            Files.writeString(dir.resolve(name + ".safetensors"), name);
        }
        java.util.concurrent.CountDownLatch inLoad = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger loadsOfA = new java.util.concurrent.atomic.AtomicInteger();
        AdapterCache<Fake> cache = new AdapterCache<>("controlnet", dir, ".safetensors", 1000, file -> {
            if (file.getFileName().toString().equals("a.safetensors")) {
                loadsOfA.incrementAndGet();
                inLoad.countDown();
                try {
                    release.await(10, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
            return new Fake(file.getFileName().toString(), 10);
        }, f -> f.bytes);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(3);
        try {
            java.util.concurrent.Future<Fake> first = pool.submit(() -> {
                try (AdapterCache<Fake>.Use use = cache.use("a", "f")) {
                    return use.value();
                }
            });
            assertTrue(inLoad.await(10, java.util.concurrent.TimeUnit.SECONDS));
            java.util.concurrent.Future<Fake> second = pool.submit(() -> {
                try (AdapterCache<Fake>.Use use = cache.use("a", "f")) {
                    return use.value();
                }
            });
            try (AdapterCache<Fake>.Use b = cache.use("b", "f")) { // not behind a's load
                assertEquals("b.safetensors", b.value().file);
            }
            assertFalse(first.isDone());
            long until = System.nanoTime() + 10_000_000_000L;
            while (cache.misses() < 3 && System.nanoTime() < until) {
                Thread.sleep(5); // until the second request for a waits on the first one's load
            }
            release.countDown();
            assertSame(first.get(10, java.util.concurrent.TimeUnit.SECONDS),
                    second.get(10, java.util.concurrent.TimeUnit.SECONDS));
            assertEquals(1, loadsOfA.get(), "one load served both requests");
            assertEquals(3, cache.misses(), "a twice (one load), b once");
            assertEquals(0, cache.hits());
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
    }

    @Test
    void withoutAFolderEveryNameIsRefused() {
        AdapterCache<Fake> none = new AdapterCache<>("controlnet", null, "", 1000, f -> new Fake("x", 1), f -> f.bytes);
        assertEquals(List.of(), none.available());
        ApiError e = assertThrows(ApiError.class, () -> none.use("x", "controlnet.name"));
        assertEquals("controlnet.name", e.param());
        assertTrue(e.getMessage().contains("controlnets:"), e.getMessage());
    }
}
