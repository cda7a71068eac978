package org.mix4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mix4j.MixRuntime;
import org.mix4j.registry.MixSettings;

/** Every refusal in OpenAI's error shape, with the status and the field it is about. */
class ServerErrorsTest {

    private static final String KEY = "sk-test";
    private static MixRuntime runtime;
    private static TinyServer tiny;

    @BeforeAll
    static void start() {
        runtime = MixRuntime.start(MixSettings.builtInOnly());
        // one request decodes at a time and none may wait: a held place makes the next request 429
        tiny = new TinyServer(runtime, c -> c.withApiKeys(List.of(KEY)).withLimits(
                new ServeConfig.Limits(4096, 1000, 64, 1, 0, 5, 4, 1024, 150)));
    }

    @AfterAll
    static void stop() {
        tiny.close();
        runtime.close();
    }

    private static HttpResponse<String> post(String body) throws IOException, InterruptedException {
        return tiny.post("/v1/chat/completions", body, "Authorization", "Bearer " + KEY);
    }

    /** The error object, after checking the status and that every OpenAI field is there. */
    private static JsonObject error(HttpResponse<String> r, int status) {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        JsonObject e = TinyServer.json(r).getAsJsonObject("error");
        for (String field : List.of("message", "type", "param", "code")) {
            assertTrue(e.has(field), "error has " + field + ": " + r.body());
        }
        return e;
    }

    private static String param(JsonObject error) {
        return error.get("param").isJsonNull() ? null : error.get("param").getAsString();
    }

    @Test
    void malformedJsonIs400() throws Exception {
        JsonObject e = error(post("{\"model\": \"tiny-llama\", \"messages\": ["), 400);
        assertEquals("invalid_request_error", e.get("type").getAsString());
        assertTrue(e.get("message").getAsString().contains("not valid JSON"), e.toString());
        // what a lenient parser would take
        error(post("{model: 'tiny-llama', messages: [{role: user, content: hi}]}"), 400);
        error(post(TinyServer.chat("tiny-llama", "hi", 4) + " {}"), 400);
    }

    @Test
    void missingMessagesIs400NamingTheField() throws Exception {
        JsonObject e = error(post("{\"model\": \"tiny-llama\"}"), 400);
        assertEquals("messages", param(e));
        assertTrue(e.get("message").getAsString().contains("messages"));
    }

    @Test
    void aWrongTypeIs400NamingTheField() throws Exception {
        String body = "{\"model\": \"tiny-llama\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], "
                + "\"temperature\": \"hot\"}";
        assertEquals("temperature", param(error(post(body), 400)));
        String role = "{\"model\": \"tiny-llama\", \"messages\": [{\"role\": \"user\", \"content\": 5}]}";
        assertEquals("messages[0].content", param(error(post(role), 400)));
    }

    @Test
    void unknownModelIs404ListingTheKnownOnes() throws Exception {
        JsonObject e = error(post(TinyServer.chat("gpt-4o", "hi", 4)), 404);
        assertEquals("model", param(e));
        assertEquals("model_not_found", e.get("code").getAsString());
        assertTrue(e.get("message").getAsString().contains("tiny-llama, tiny-llava, tiny-clip, tiny-sd"), e.toString());
    }

    @Test
    void aMissingOrWrongApiKeyIs401AndHealthNeedsNone() throws Exception {
        JsonObject e = error(tiny.post("/v1/chat/completions", TinyServer.chat("tiny-llama", "hi", 4),
                "Authorization", "Bearer sk-wrong"), 401);
        assertEquals("invalid_api_key", e.get("code").getAsString());
        error(tiny.post("/v1/chat/completions", TinyServer.chat("tiny-llama", "hi", 4)), 401);
        error(tiny.get("/v1/models"), 401);
        error(tiny.get("/metrics"), 401);
        assertEquals(200, tiny.get("/health").statusCode());
    }

    @Test
    void aBodyOverTheLimitIs413() throws Exception {
        JsonObject e = error(post(TinyServer.chat("tiny-llama", "x".repeat(5000), 4)), 413);
        assertTrue(e.get("message").getAsString().contains("4096"), e.toString());
    }

    @Test
    void aPromptOverTheCharacterLimitIs400() throws Exception {
        assertEquals("messages", param(error(post(TinyServer.chat("tiny-llama", "y".repeat(1500), 4)), 400)));
    }

    @Test
    void aPromptLongerThanTheContextIs400StreamedOrNot() throws Exception {
        String words = "a ".repeat(300); // 300 tokens for the tiny model's 256 positions, under the character limit
        JsonObject e = error(post(TinyServer.chat("tiny-llama", words, 4)), 400);
        assertEquals("messages", param(e));
        assertTrue(e.get("message").getAsString().contains("context"), e.toString());
        String stream = TinyServer.streamed(TinyServer.chat("tiny-llama", words, 4));
        assertEquals("messages", param(error(post(stream), 400)));
    }

    @Test
    void maxTokensOverTheLimitIs400() throws Exception {
        assertEquals("max_tokens", param(error(post(TinyServer.chat("tiny-llama", "hi", 65)), 400)));
    }

    @Test
    void anHttpImageUrlIsRefusedNamingTheField() throws Exception {
        String body = "{\"model\": \"tiny-llava\", \"messages\": [{\"role\": \"user\", \"content\": ["
                + "{\"type\": \"text\", \"text\": \"what is it?\"},"
                + "{\"type\": \"image_url\", \"image_url\": {\"url\": \"http://169.254.169.254/latest\"}}]}]}";
        JsonObject e = error(post(body), 400);
        assertEquals("messages[0].content[1].image_url.url", param(e));
        assertTrue(e.get("message").getAsString().contains("image_sources.hosts"), e.toString());
        String file = body.replace("http://169.254.169.254/latest", "file:///etc/passwd");
        assertEquals("messages[0].content[1].image_url.url", param(error(post(file), 400)));
    }

    @Test
    void anImageSentToATextModelIs400NamingThePart() throws Exception {
        String tinyPng = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC";
        String body = "{\"model\": \"tiny-llama\", \"messages\": [{\"role\": \"system\", \"content\": \"be brief\"},"
                + "{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"what is it?\"},"
                + "{\"type\": \"image_url\", \"image_url\": {\"url\": \"" + tinyPng + "\"}}]}]}";
        JsonObject e = error(post(body), 400);
        assertEquals("messages[1].content[1]", param(e));
        assertTrue(e.get("message").getAsString().contains("text model"), e.toString());
    }

    @Test
    void aFullQueueIs429WithRetryAfter() throws Exception {
        try (ModelQueue.Ticket held = tiny.server.queue("tiny-llama").enter()) {
            HttpResponse<String> r = post(TinyServer.chat("tiny-llama", "hi", 4));
            JsonObject e = error(r, 429);
            assertEquals("1", r.headers().firstValue("Retry-After").orElse(null));
            assertTrue(e.get("message").getAsString().contains("busy"), e.toString());
            assertEquals(200, post(TinyServer.chat("tiny-llava", "hi", 4)).statusCode(), "other models are not held up");
        }
        assertEquals(200, post(TinyServer.chat("tiny-llama", "hi", 4)).statusCode(), "the place is free again");
    }

    @Test
    void anUnknownRouteIs404InTheSameShape() throws Exception {
        error(tiny.post("/v1/audio/speech", "{}", "Authorization", "Bearer " + KEY), 404);
    }
}
