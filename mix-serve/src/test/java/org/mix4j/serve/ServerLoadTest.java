package org.mix4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.NDManager;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mix4j.MixRuntime;
import org.mix4j.registry.MixSettings;

/**
 * Many clients, mixed requests, all four demo models under a memory budget that holds two: chat,
 * streamed chat, chat with an image, embeddings, image generation, streams abandoned after their
 * first event, and more requests than the queues take. Every request is answered with its own
 * right answer (the one it gets alone) or refused with 429 and {@code Retry-After}; the server's
 * counters agree with what the clients saw; the budget holds once the requests are over; and every
 * tensor the hundred-odd loads made is freed: none is left once the models are closed. The resident size is printed, not asserted: with
 * models loaded and evicted over and over it swings by up to 270 MiB either way from round to round
 * (freed weights stay in glibc's per-thread arenas), which hides any trend; the steady-state
 * request loop of {@link ServerCacheTest} asserts it.
 */
class ServerLoadTest {

    private static final int CLIENTS = 8;
    private static final int PER_CLIENT = 12;
    private static MixRuntime runtime;
    private static TinyServer tiny;
    private static long budget;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /** One kind of request, its body and the answer it gets when it runs alone. */
    private record Call(String route, String body, boolean stream, boolean abandon) {}

    private static final List<Call> CALLS = new ArrayList<>();
    private static final Map<Call, String> EXPECTED = new LinkedHashMap<>();

    @BeforeAll
    static void start() throws Exception {
        runtime = MixRuntime.start(MixSettings.builtInOnly());
        // the budget: the two largest models, so the four take turns
        List<Long> sizes = new ArrayList<>();
        try (NDManager m = NDManager.newBaseManager()) {
            PipelineModels models = new PipelineModels(ServeConfig.load(TinyServer.DEMO).models(), runtime.loader(), m);
            for (String name : List.of("tiny-llama", "tiny-llava", "tiny-clip", "tiny-sd")) {
                try (ServedModel model = models.load(name)) {
                    sizes.add(model.bytes());
                }
            }
        }
        sizes.sort(null);
        budget = sizes.get(3) + sizes.get(2);
        tiny = new TinyServer(runtime, c -> c.withMemoryBudget(budget).withLimits(new ServeConfig.Limits(8 << 20, 32768,
                64, 2, 1, 30, 4, 1024, 150)));
        String image = TinyServer.imageDataUrl();
        for (int i = 0; i < 3; i++) {
            String prompt = "what color is car number " + i + " ?";
            CALLS.add(new Call("/v1/chat/completions", TinyServer.chat("tiny-llama", prompt, 8), false, false));
            CALLS.add(new Call("/v1/chat/completions", TinyServer.streamed(TinyServer.chat("tiny-llama", prompt, 8)), true,
                    false));
            CALLS.add(new Call("/v1/embeddings", "{\"model\": \"tiny-clip\", \"input\": [\"a red sun " + i + "\"]}", false,
                    false));
        }
        for (int i = 0; i < 2; i++) {
            CALLS.add(new Call("/v1/chat/completions", "{\"model\": \"tiny-llava\", \"max_tokens\": 6, \"temperature\": 0, "
                    + "\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"picture " + i
                    + "?\"}, {\"type\": \"image_url\", \"image_url\": {\"url\": \"" + image + "\"}}]}]}", false, false));
            CALLS.add(new Call("/v1/images/generations", "{\"model\": \"tiny-sd\", \"prompt\": \"a sun " + i
                    + "\", \"steps\": 2, \"seed\": " + i + "}", false, false));
        }
        CALLS.add(new Call("/v1/chat/completions", TinyServer.streamed(TinyServer.chat("tiny-llama", "tell a long story",
                64)), true, true));
        for (Call c : CALLS) {
            if (!c.abandon()) {
                HttpResponse<String> r = tiny.post(c.route(), c.body());
                assertEquals(200, r.statusCode(), r.body());
                EXPECTED.put(c, answer(c, r.body()));
            }
        }
    }

    @AfterAll
    static void stop() {
        tiny.close();
        runtime.close();
    }

    /** What identifies a response: the text, the embedding, the image bytes (the per-request ids aside). */
    private static String answer(Call c, String body) {
        if (c.stream()) {
            StringBuilder text = new StringBuilder();
            for (String line : body.split("\n")) {
                if (line.startsWith("data: {")) {
                    JsonObject chunk = JsonParser.parseString(line.substring(6)).getAsJsonObject();
                    if (chunk.has("error")) {
                        fail("a stream reported an error: " + chunk);
                    }
                    chunk.getAsJsonArray("choices").forEach(ch -> {
                        JsonObject delta = ch.getAsJsonObject().getAsJsonObject("delta");
                        if (delta.has("content")) {
                            text.append(delta.get("content").getAsString());
                        }
                    });
                }
            }
            assertTrue(body.endsWith("data: [DONE]\n\n"), body);
            return text.toString();
        }
        JsonObject o = JsonParser.parseString(body).getAsJsonObject();
        return switch (c.route()) {
            case "/v1/chat/completions" -> o.getAsJsonArray("choices").get(0).getAsJsonObject().getAsJsonObject("message")
                    .get("content").getAsString();
            case "/v1/embeddings" -> o.getAsJsonArray("data").get(0).getAsJsonObject().get("embedding").toString();
            default -> o.getAsJsonArray("data").get(0).getAsJsonObject().get("b64_json").getAsString();
        };
    }

    /** What the clients saw in one round. */
    private record Round(int ok, int refused, int abandoned, long millis) {}

    private static Round round() throws Exception {
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        AtomicInteger abandoned = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        long start = System.nanoTime();
        try {
            List<Future<?>> clients = new ArrayList<>();
            for (int client = 0; client < CLIENTS; client++) {
                int id = client;
                clients.add(pool.submit(() -> {
                    for (int i = 0; i < PER_CLIENT; i++) {
                        Call c = CALLS.get((id * 5 + i * 7) % CALLS.size());
                        if (c.abandon()) {
                            (abandon(c) ? abandoned : refused).incrementAndGet();
                            continue;
                        }
                        HttpResponse<String> r = tiny.post(c.route(), c.body());
                        if (r.statusCode() == 429) {
                            assertTrue(r.headers().firstValue("Retry-After").isPresent(), "429 says when to retry");
                            refused.incrementAndGet();
                        } else {
                            assertEquals(200, r.statusCode(), r.body());
                            assertEquals(EXPECTED.get(c), answer(c, r.body()), "the answer of " + c.body());
                            ok.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : clients) {
                f.get(300, TimeUnit.SECONDS); // an assertion failed in a client fails here
            }
        } finally {
            pool.shutdownNow();
        }
        return new Round(ok.get(), refused.get(), abandoned.get(), (System.nanoTime() - start) / 1_000_000);
    }

    /** Opens a stream, reads its first event and hangs up; false when it was refused (429, counted as such). */
    private static boolean abandon(Call c) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(tiny.url(c.route()))).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(c.body())).build();
        HttpResponse<InputStream> r = HTTP.send(request, HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = r.body()) {
            if (r.statusCode() == 429) {
                return false;
            }
            assertEquals(200, r.statusCode());
            String first = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).readLine();
            assertTrue(first != null && first.startsWith("data: "), String.valueOf(first));
        }
        return true;
    }

    @Test
    void mixedLoadIsAnsweredRightOrRefusedAndLeavesNothingBehind() throws Exception {
        List<Round> rounds = new ArrayList<>();
        rounds.add(round()); // two rounds to warm up: models loaded and evicted, allocator and JIT settled
        rounds.add(round());
        long[] before = ServerCacheTest.memoryKib();
        int arraysBefore = tiny.manager.getManagedArrays().size();
        for (int k = 0; k < 3; k++) { // the resident size swings by +-35 MiB from round to round: look over three
            rounds.add(round());
        }
        long[] after = ServerCacheTest.memoryKib();
        int arraysAfter = tiny.manager.getManagedArrays().size();
        long outside = after[0] - after[1] - (before[0] - before[1]);
        int refused = 0;
        for (Round r : rounds) {
            assertEquals(CLIENTS * PER_CLIENT, r.ok() + r.refused() + r.abandoned(), "every request answered, refused "
                    + "or abandoned by its client");
            assertTrue(r.ok() > 0, "some requests were answered");
            refused += r.refused();
            System.out.printf("serve load: %d clients x %d requests: %d answered, %d refused (429), %d abandoned, in %d "
                    + "ms%n", CLIENTS, PER_CLIENT, r.ok(), r.refused(), r.abandoned(), r.millis());
        }
        System.out.printf("serve load: outside the Java heap %+d KiB over the last three rounds (RSS %d -> %d KiB, heap "
                + "committed %d -> %d KiB, live arrays %d -> %d); %d evictions%n", outside, before[0], after[0], before[1],
                after[1], arraysBefore, arraysAfter, evictions());
        // the server's own count of refusals equals the clients'
        String metrics = tiny.server.metrics().scrape();
        double served429 = metrics.lines().filter(l -> l.startsWith("mix_http_requests_total{") && l.contains(
                "status=\"429\"")).mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
        assertEquals(refused, (int) served429, metrics);
        assertTrue(evictions() > 0, "the four models took turns in a budget of two");
        // nothing in use now: the budget holds
        assertTrue(tiny.server.cache().residentBytes() <= budget, tiny.server.cache().residentBytes() + " > " + budget);
        for (String m : List.of("tiny-llama", "tiny-llava", "tiny-clip", "tiny-sd")) {
            assertEquals(0, tiny.server.queue(m).depth(), "no one is left waiting for " + m);
        }
        // every tensor a load made is freed by its eviction: with the models closed nothing is left (the
        // live arrays between rounds depend on which models happen to be resident)
        tiny.server.cache().close();
        assertEquals(0, tiny.manager.getManagedArrays().size(), "arrays left after every model was closed");
    }

    private static long evictions() {
        long sum = 0;
        for (String m : List.of("tiny-llama", "tiny-llava", "tiny-clip", "tiny-sd")) {
            sum += tiny.server.metrics().count("evictions", m);
        }
        return sum;
    }
}
