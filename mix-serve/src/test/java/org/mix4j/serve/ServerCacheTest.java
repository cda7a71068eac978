package org.mix4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mix4j.MixRuntime;
import org.mix4j.registry.MixSettings;

/** The model cache under real requests, concurrency, and native memory over many requests. */
class ServerCacheTest {

    private static MixRuntime runtime;
    private static long llamaBytes;
    private static long llavaBytes;

    @BeforeAll
    static void start() {
        runtime = MixRuntime.start(MixSettings.builtInOnly());
        try (NDManager m = NDManager.newBaseManager()) {
            PipelineModels models = new PipelineModels(ServeConfig.load(TinyServer.DEMO).models(), runtime.loader(), m);
            try (ServedModel llama = models.load("tiny-llama"); ServedModel llava = models.load("tiny-llava")) {
                llamaBytes = llama.bytes();
                llavaBytes = llava.bytes();
            }
        }
    }

    @AfterAll
    static void stop() {
        runtime.close();
    }

    private static List<String> prompts(int n) {
        List<String> out = new ArrayList<>();
        String[] colors = {"red", "green", "blue", "yellow"};
        String[] things = {"car", "dog", "cat", "ball"};
        for (int i = 0; i < n; i++) {
            out.add("what color is the " + colors[i % 4] + " " + things[(i / 4) % 4] + " ?");
        }
        return out;
    }

    @Test
    void residentBytesAreTheTensorsTheModelsHold() throws IOException {
        // every checkpoint tensor is held (some fused or transposed for the matmuls, which costs more)
        Path ckpt = TinyServer.ROOT.resolve("testdata/golden/llama_causal_lm/model.safetensors");
        long tensors = Files.size(ckpt) - 8 - headerLength(ckpt);
        // and the batched KV cache at its largest: 4 slots (the default batch_slots) x the model's 256
        // positions x keys and values of its 2 layers, 2 KV heads of 16, fp32 (config.json)
        long cache = 4L * 256 * (2 * 2 * 2 * 16 * 4);
        long weights = llamaBytes - cache;
        assertTrue(weights >= tensors && weights < 3 * tensors, llamaBytes + " bytes held, less the batched cache "
                + cache + ": " + weights + ", tensors " + tensors);
        System.out.printf("serve: resident bytes tiny-llama %d (checkpoint tensors %d), tiny-llava %d%n", llamaBytes,
                tensors, llavaBytes);
    }

    private static long headerLength(Path safetensors) throws IOException {
        byte[] head = new byte[8];
        try (java.io.InputStream in = Files.newInputStream(safetensors)) {
            in.readNBytes(head, 0, 8);
        }
        return java.nio.ByteBuffer.wrap(head).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
    }

    @Test
    void aBudgetForOneModelEvictsAndReloadsWhenRequestsAlternate() throws Exception {
        long budget = Math.max(llamaBytes, llavaBytes) + 1;
        assertTrue(budget < llamaBytes + llavaBytes);
        try (TinyServer tiny = new TinyServer(runtime, c -> c.withMemoryBudget(budget))) {
            String first = null;
            for (int round = 0; round < 3; round++) {
                HttpResponse<String> llama = tiny.post("/v1/chat/completions", TinyServer.chat("tiny-llama", "hi", 4));
                assertEquals(200, llama.statusCode(), llama.body());
                first = first == null ? TinyServer.answer(llama) : first;
                assertEquals(first, TinyServer.answer(llama), "a reloaded model answers the same");
                assertEquals(200, tiny.post("/v1/chat/completions", TinyServer.chat("tiny-llava", "hi", 4)).statusCode());
                assertEquals(1, tiny.server.cache().resident().size(), "one model fits");
            }
            ServerMetrics m = tiny.server.metrics();
            assertEquals(3, m.count("loads", "tiny-llama"));
            assertEquals(3, m.count("loads", "tiny-llava"));
            assertEquals(3, m.count("evictions", "tiny-llama"));
            assertEquals(2, m.count("evictions", "tiny-llava"));
            String text = tiny.get("/metrics").body();
            assertTrue(text.contains("mix_model_cache_evictions_total{model=\"tiny-llama\"} 3.0"), text);
            assertTrue(text.contains("mix_model_resident_bytes " + (double) llavaBytes) || text.contains(
                    "mix_model_resident_bytes " + String.format("%.6E", (double) llavaBytes).replace("E+0", "E")), text);
            assertTrue(text.contains("mix_http_requests_total{route=\"/v1/chat/completions\",status=\"200\"} 6.0"), text);
            assertTrue(text.contains("mix_http_request_duration_seconds_bucket{route=\"/v1/chat/completions\",le=\"+Inf\"} 6"),
                    text);
            assertTrue(text.contains("mix_queue_depth{model=\"tiny-llama\"} 0.0"), text);
            assertTrue(text.contains("mix_generated_tokens_total{model=\"tiny-llama\"}"), text);
        }
    }

    @Test
    void eightConcurrentFirstRequestsLoadOnceAndAnswerAsSequentialOnes() throws Exception {
        List<String> prompts = prompts(8);
        try (TinyServer tiny = new TinyServer(runtime, c -> c.withLimits(new ServeConfig.Limits(1 << 20, 32768, 64, 4, 16,
                30, 4, 1024, 150)))) {
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<String> concurrent = new ArrayList<>();
            try {
                List<Future<HttpResponse<String>>> futures = new ArrayList<>();
                for (String p : prompts) {
                    futures.add(pool.submit(() -> tiny.post("/v1/chat/completions", TinyServer.chat("tiny-llama", p, 8))));
                }
                for (Future<HttpResponse<String>> f : futures) {
                    HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
                    assertEquals(200, r.statusCode(), r.body());
                    concurrent.add(TinyServer.answer(r));
                }
            } finally {
                pool.shutdownNow();
            }
            assertEquals(1, tiny.server.metrics().count("loads", "tiny-llama"), "one load for eight first requests");
            List<String> sequential = new ArrayList<>();
            for (String p : prompts) {
                sequential.add(TinyServer.answer(tiny.post("/v1/chat/completions", TinyServer.chat("tiny-llama", p, 8))));
            }
            assertEquals(sequential, concurrent);
            assertTrue(sequential.stream().distinct().count() > 1, "different prompts, different answers: " + sequential);
        }
    }

    @Test
    void twoHundredRequestsLeaveNoArraysAndNoNativeMemoryBehind() throws Exception {
        try (TinyServer tiny = new TinyServer(runtime, c -> c)) {
            String image = "{\"model\": \"tiny-llava\", \"max_tokens\": 8, \"messages\": [{\"role\": \"user\", \"content\": ["
                    + "{\"type\": \"text\", \"text\": \"what is it?\"}, {\"type\": \"image_url\", \"image_url\": {\"url\": \""
                    + TinyServer.imageDataUrl() + "\"}}]}]}";
            for (int i = 0; i < 40; i++) { // warm up: models loaded, allocator and JIT settled
                request(tiny, i, image);
            }
            int arrays = tiny.manager.getManagedArrays().size();
            long[] before = memoryKib();
            long start = System.nanoTime();
            for (int i = 0; i < 200; i++) {
                request(tiny, i, image);
                if (i % 50 == 49) {
                    long[] now = memoryKib();
                    System.out.printf("serve: after %d requests RSS %+d KiB, heap committed %+d KiB, outside the heap %+d KiB%n",
                            i + 1, now[0] - before[0], now[1] - before[1], now[0] - now[1] - before[0] + before[1]);
                }
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            int arraysAfter = tiny.manager.getManagedArrays().size();
            long[] after = memoryKib();
            long outside = after[0] - after[1] - (before[0] - before[1]);
            System.out.printf("serve: 200 requests (text, streamed, image) in %d ms, live arrays %d -> %d, RSS %d -> %d "
                    + "KiB, outside the Java heap %+d KiB%n", millis, arrays, arraysAfter, before[0], after[0], outside);
            assertEquals(arrays, arraysAfter, "arrays held by the models after 200 more requests");
            assertTrue(outside < 48 * 1024, "memory outside the Java heap grew by " + outside + " KiB");
        }
    }

    /** Resident KiB and the Java heap's committed KiB, after a collection. */
    static long[] memoryKib() throws IOException {
        System.gc();
        long heap = java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted() / 1024;
        return new long[] {residentKib(), heap};
    }

    private static void request(TinyServer tiny, int i, String image) throws Exception {
        String body = switch (i % 3) {
            case 0 -> TinyServer.chat("tiny-llama", prompts(16).get(i % 16), 8);
            case 1 -> TinyServer.streamed(TinyServer.chat("tiny-llama", prompts(16).get(i % 16), 8));
            default -> image;
        };
        HttpResponse<String> r = tiny.post("/v1/chat/completions", body);
        assertEquals(200, r.statusCode(), r.body());
    }

    private static long residentKib() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return 0;
    }
}
