package org.mix4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mix4j.MixRuntime;
import org.mix4j.registry.MixSettings;

/**
 * Continuous batching behind the server: concurrent chat requests to the tiny text model share
 * decode steps and still get, each, exactly the answer it gets alone.
 */
class ServerBatchingTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static MixRuntime runtime;

    @BeforeAll
    static void start() {
        runtime = MixRuntime.start(MixSettings.builtInOnly());
    }

    @AfterAll
    static void stop() {
        runtime.close();
    }

    /** Different prompts, lengths, max_tokens, stop strings, greedy and seeded; every other one streamed. */
    private static List<String> bodies(int n) {
        String[] words = {"red", "green", "car", "dog", "what", "is", "the", "color", "blue", "cat", "?"};
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            StringBuilder prompt = new StringBuilder();
            for (int w = 0; w < 2 + (i * 5) % 11; w++) {
                prompt.append(w == 0 ? "" : " ").append(words[(i * 3 + w * 7) % words.length]);
            }
            JsonObject body = JsonParser.parseString(TinyServer.chat("tiny-llama", prompt.toString(), 3 + (i * 7) % 22))
                    .getAsJsonObject();
            if (i % 3 == 2) { // seeded sampling
                body.addProperty("temperature", 0.9);
                body.addProperty("seed", 100 + i);
            }
            if (i % 4 == 1) {
                JsonArray stop = new JsonArray();
                stop.add(i % 8 == 1 ? " " : "e");
                body.add("stop", stop);
            }
            if (i % 2 == 1) {
                body.addProperty("stream", true);
                JsonObject options = new JsonObject();
                options.addProperty("include_usage", true);
                body.add("stream_options", options);
            }
            out.add(body.toString());
        }
        return out;
    }

    /** Text, finish reason and usage of an answer, streamed or not. */
    private static String outcome(HttpResponse<String> r) {
        assertEquals(200, r.statusCode(), r.body());
        if (!r.body().startsWith("data:")) {
            JsonObject o = TinyServer.json(r);
            JsonObject choice = o.getAsJsonArray("choices").get(0).getAsJsonObject();
            return choice.getAsJsonObject("message").get("content").getAsString() + " | "
                    + choice.get("finish_reason").getAsString() + " | " + o.get("usage");
        }
        StringBuilder text = new StringBuilder();
        String finish = null;
        String usage = null;
        for (String line : r.body().split("\n")) {
            if (!line.startsWith("data: {")) {
                continue;
            }
            JsonObject chunk = JsonParser.parseString(line.substring(6)).getAsJsonObject();
            if (chunk.has("usage") && !chunk.get("usage").isJsonNull()) {
                usage = chunk.get("usage").toString();
            }
            for (var c : chunk.getAsJsonArray("choices")) {
                JsonObject choice = c.getAsJsonObject();
                JsonObject delta = choice.getAsJsonObject("delta");
                if (delta.has("content") && !delta.get("content").isJsonNull()) {
                    text.append(delta.get("content").getAsString());
                }
                if (choice.has("finish_reason") && !choice.get("finish_reason").isJsonNull()) {
                    finish = choice.get("finish_reason").getAsString();
                }
            }
        }
        return text + " | " + finish + " | " + usage;
    }

    private static List<String> alone(List<String> bodies) throws Exception {
        List<String> out = new ArrayList<>();
        try (TinyServer tiny = new TinyServer(runtime, c -> c.withLimits(c.limits().withBatching(0, 2048)))) {
            for (String b : bodies) {
                out.add(outcome(tiny.post("/v1/chat/completions", b)));
            }
        }
        return out;
    }

    private static ServeConfig batched(ServeConfig c) {
        ServeConfig.Limits l = c.limits();
        return c.withLimits(new ServeConfig.Limits(l.maxBodyBytes(), l.maxPromptChars(), l.maxTokens(), 8, 64,
                l.drainSeconds(), l.maxImages(), l.maxImageSide(), l.maxSteps(), 4, 48));
    }

    @Test
    void concurrentRequestsJoiningMidDecodeGetTheirAnswersAlone() throws Exception {
        List<String> bodies = bodies(16);
        List<String> expected = alone(bodies);
        assertTrue(expected.stream().distinct().count() > 8, "different requests, different answers: " + expected);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        AtomicReference<ServedModel> llama = new AtomicReference<>();
        try (TinyServer tiny = new TinyServer(runtime, ServerBatchingTest::batched, loader -> name -> {
            ServedModel m = loader.load(name);
            llama.compareAndSet(null, m);
            return m;
        })) {
            tiny.post("/v1/chat/completions", bodies.get(0)); // loaded, so that the requests below overlap in decoding
            List<Future<HttpResponse<String>>> answers = new ArrayList<>();
            for (String b : bodies) {
                answers.add(pool.submit(() -> tiny.post("/v1/chat/completions", b)));
                Thread.sleep(4); // later ones join while earlier ones decode
            }
            for (int i = 0; i < bodies.size(); i++) {
                assertEquals(expected.get(i), outcome(answers.get(i).get(60, TimeUnit.SECONDS)), "request " + i + ": "
                        + bodies.get(i));
            }
            var stats = PipelineModels.batchStats(llama.get());
            System.out.println("serve: 16 concurrent requests, batched decode " + stats);
            assertTrue(stats.rowSteps() > stats.steps() * 2, "most steps decoded several requests: " + stats);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Requests with an image each (two pictures, different prompts and lengths, some seeded, some streamed). */
    private static List<String> imageBodies(int n) throws Exception {
        String[] images = {TinyServer.imageDataUrl(), "data:image/png;base64," + java.util.Base64.getEncoder()
                .encodeToString(java.nio.file.Files.readAllBytes(TinyServer.ROOT.resolve("examples/images/shapes-demo.png")))};
        String[] prompts = {"what is it?", "describe the picture", "what color is the car?", "how many?"};
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            JsonObject text = new JsonObject();
            text.addProperty("type", "text");
            text.addProperty("text", prompts[i % prompts.length]);
            JsonObject url = new JsonObject();
            url.addProperty("url", images[(i / 2) % 2]);
            JsonObject image = new JsonObject();
            image.addProperty("type", "image_url");
            image.add("image_url", url);
            JsonArray content = new JsonArray();
            content.add(text);
            content.add(image);
            JsonObject message = new JsonObject();
            message.addProperty("role", "user");
            message.add("content", content);
            JsonArray messages = new JsonArray();
            messages.add(message);
            JsonObject body = new JsonObject();
            body.addProperty("model", "tiny-llava");
            body.add("messages", messages);
            body.addProperty("max_tokens", 4 + (i * 5) % 13);
            body.addProperty("temperature", i % 3 == 2 ? 0.9 : 0);
            if (i % 3 == 2) {
                body.addProperty("seed", 7 + i);
            }
            if (i % 2 == 1) {
                body.addProperty("stream", true);
            }
            out.add(body.toString());
        }
        return out;
    }

    @Test
    void concurrentImageRequestsToAnUnderstandingModelShareStepsAndGetTheirAnswersAlone() throws Exception {
        List<String> bodies = imageBodies(8);
        List<String> expected = alone(bodies);
        assertTrue(expected.stream().distinct().count() > 3, "different requests, different answers: " + expected);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        AtomicReference<ServedModel> llava = new AtomicReference<>();
        try (TinyServer tiny = new TinyServer(runtime, c -> c.withLimits(batched(c).limits().withBatching(4, 512)),
                loader -> name -> {
                    ServedModel m = loader.load(name);
                    if (name.equals("tiny-llava")) {
                        llava.compareAndSet(null, m);
                    }
                    return m;
                })) {
            tiny.post("/v1/chat/completions", bodies.get(0)); // loaded first
            List<Future<HttpResponse<String>>> answers = new ArrayList<>();
            for (String b : bodies) {
                answers.add(pool.submit(() -> tiny.post("/v1/chat/completions", b)));
            }
            for (int i = 0; i < bodies.size(); i++) {
                assertEquals(expected.get(i), outcome(answers.get(i).get(60, TimeUnit.SECONDS)), "request " + i);
            }
            var stats = PipelineModels.batchStats(llava.get());
            System.out.println("serve: 8 concurrent image requests, batched decode " + stats);
            assertTrue(stats != null && stats.rowSteps() > stats.steps(), "steps decoded several requests: " + stats);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aStreamAbandonedMidDecodeLeavesAndTheOthersFinishRight() throws Exception {
        List<String> bodies = bodies(6);
        List<String> expected = alone(bodies);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try (TinyServer tiny = new TinyServer(runtime, ServerBatchingTest::batched)) {
            tiny.post("/v1/chat/completions", bodies.get(0));
            int arrays = tiny.manager.getManagedArrays().size();
            String longStream = TinyServer.streamed(TinyServer.chat("tiny-llama", "what color is the red car ?", 60));
            Future<String> abandoned = pool.submit(() -> firstEventThenHangUp(tiny, longStream));
            List<Future<HttpResponse<String>>> answers = new ArrayList<>();
            for (String b : bodies) {
                answers.add(pool.submit(() -> tiny.post("/v1/chat/completions", b)));
            }
            assertTrue(abandoned.get(60, TimeUnit.SECONDS).startsWith("data: {"));
            for (int i = 0; i < bodies.size(); i++) {
                assertEquals(expected.get(i), outcome(answers.get(i).get(60, TimeUnit.SECONDS)), "request " + i);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (tiny.manager.getManagedArrays().size() != arrays && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(arrays, tiny.manager.getManagedArrays().size(), "the batch's cache is freed once all left");
        } finally {
            pool.shutdownNow();
        }
    }

    private static String firstEventThenHangUp(TinyServer tiny, String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(tiny.url("/v1/chat/completions")))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<InputStream> r = HTTP.send(request, HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = r.body()) {
            return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).readLine();
        }
    }

    @Test
    void threeHundredBatchedRequestsLeaveNoArraysBehind() throws Exception {
        List<String> bodies = bodies(12);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try (TinyServer tiny = new TinyServer(runtime, ServerBatchingTest::batched)) {
            tiny.post("/v1/chat/completions", bodies.get(0));
            int arrays = tiny.manager.getManagedArrays().size();
            long start = System.nanoTime();
            List<Future<HttpResponse<String>>> answers = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                String b = bodies.get(i % bodies.size());
                answers.add(pool.submit(() -> tiny.post("/v1/chat/completions", b)));
            }
            for (Future<HttpResponse<String>> a : answers) {
                assertEquals(200, a.get(120, TimeUnit.SECONDS).statusCode());
            }
            System.out.printf("serve: 300 batched requests (8 clients, 4 slots) in %d ms, live arrays %d -> %d%n",
                    (System.nanoTime() - start) / 1_000_000, arrays, tiny.manager.getManagedArrays().size());
            assertEquals(arrays, tiny.manager.getManagedArrays().size(), "arrays held after 300 batched requests");
        } finally {
            pool.shutdownNow();
        }
    }
}
