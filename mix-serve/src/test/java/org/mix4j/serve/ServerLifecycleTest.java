package org.mix4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mix4j.MixRuntime;
import org.mix4j.pipelines.decoding.DecodeResult.FinishReason;
import org.mix4j.registry.MixSettings;

/** Streaming clients that leave, and shutting down while a request runs (models slowed to 20 ms a piece). */
class ServerLifecycleTest {

    private static MixRuntime runtime;

    @BeforeAll
    static void start() {
        runtime = MixRuntime.start(MixSettings.builtInOnly());
    }

    @AfterAll
    static void stop() {
        runtime.close();
    }

    private static String streamBody(int maxTokens) {
        return TinyServer.streamed(TinyServer.chat("tiny-llama", "what color is the red car ?", maxTokens));
    }

    @Test
    void aStreamingClientThatDisconnectsCancelsDecoding() throws Exception {
        AtomicReference<SlowModel> slow = new AtomicReference<>();
        try (TinyServer tiny = new TinyServer(runtime, c -> c, loader -> name -> {
            SlowModel m = new SlowModel(loader.load(name), 20);
            slow.set(m);
            return m;
        })) {
            HttpClient http = HttpClient.newHttpClient();
            HttpRequest request = HttpRequest.newBuilder(URI.create(tiny.url("/v1/chat/completions")))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(streamBody(200))).build();
            HttpResponse<InputStream> r = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, r.statusCode());
            assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
            try (InputStream in = r.body()) {
                BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
                String first = lines.readLine();
                assertTrue(first.startsWith("data: {") && first.contains("chat.completion.chunk"), first);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (slow.get().last == null && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(FinishReason.CANCELLED, slow.get().last.finishReasons().get(0));
            int generated = slow.get().last.generatedTokens();
            assertTrue(generated < 100, "decoding went on for " + generated + " of 200 tokens after the client left");
            System.out.println("serve: a client that left after the first event stopped decoding after "
                    + generated + " of 200 tokens");
        }
    }

    @Test
    void aModelThatFailsToLoadIs500NamingItsFileAndIsTriedAgain(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path broken = dir.resolve("broken.yaml");
        java.nio.file.Files.writeString(broken, "task: text\ncheckpoint: " + TinyServer.ROOT.resolve(
                "testdata/golden/llama_causal_lm") + "\nllm: { type: llama, hiden_size: 3 }\ntokenizer: { type: hf_tokenizer, path: ../../../examples/understanding/tiny-tokenizer }\n");
        try (TinyServer tiny = new TinyServer(runtime, c -> new ServeConfig(c.host(), c.port(), c.apiKeys(),
                null, java.util.Map.of("broken", new ServeConfig.ModelEntry(broken, null)), c.limits(), java.util.List.of(),
                c.imageSources(), null, null, "256MiB"))) {
            for (int attempt = 0; attempt < 2; attempt++) {
                HttpResponse<String> r = tiny.post("/v1/chat/completions", TinyServer.chat("broken", "hi", 4));
                assertEquals(500, r.statusCode(), r.body());
                JsonObject e = TinyServer.json(r).getAsJsonObject("error");
                assertEquals("model_load_failed", e.get("code").isJsonNull() ? null : e.get("code").getAsString(),
                        e.toString());
                assertTrue(e.get("message").getAsString().contains(broken + ":3:")
                        && e.get("message").getAsString().contains("llm.hiden_size"), e.toString());
            }
            assertEquals(0, tiny.server.metrics().count("loads", "broken"));
            assertEquals(2, tiny.server.metrics().count("misses", "broken"), "a failed load is tried again");
        }
    }

    @Test
    void shutdownAnswers503AndDrainsTheRunningRequest() throws Exception {
        AtomicReference<SlowModel> slow = new AtomicReference<>();
        TinyServer tiny = new TinyServer(runtime, c -> c, loader -> name -> {
            SlowModel m = new SlowModel(loader.load(name), 20);
            slow.set(m);
            return m;
        });
        try {
            CompletableFuture<HttpResponse<String>> running = CompletableFuture.supplyAsync(() -> {
                try {
                    return tiny.post("/v1/chat/completions", streamBody(60));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (slow.get() == null && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertTrue(slow.get().started.await(20, TimeUnit.SECONDS), "the request started decoding");
            CompletableFuture<Void> stopping = CompletableFuture.runAsync(tiny.server::stop);
            HttpResponse<String> refused = null;
            while (System.nanoTime() < deadline) {
                refused = tiny.post("/v1/chat/completions", TinyServer.chat("tiny-llama", "hi", 4));
                if (refused.statusCode() != 200) {
                    break;
                }
            }
            assertEquals(503, refused.statusCode(), refused.body());
            JsonObject e = TinyServer.json(refused).getAsJsonObject("error");
            assertEquals("shutting_down", e.get("code").getAsString());
            HttpResponse<String> health = tiny.get("/health");
            assertEquals(503, health.statusCode());
            assertEquals("stopping", TinyServer.json(health).get("status").getAsString(), health.body());
            HttpResponse<String> drained = running.get(30, TimeUnit.SECONDS);
            assertEquals(200, drained.statusCode());
            assertTrue(drained.body().endsWith("data: [DONE]\n\n"), drained.body());
            stopping.get(30, TimeUnit.SECONDS);
        } finally {
            tiny.close();
        }
    }
}
