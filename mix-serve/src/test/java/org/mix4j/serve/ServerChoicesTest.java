package org.mix4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mix4j.MixRuntime;
import org.mix4j.registry.MixSettings;

/**
 * {@code n} choices of a chat completion: choice {@code i} is the answer a request with
 * {@code seed + i} gets alone, whole or streamed, and the usage counts the prompt once.
 */
class ServerChoicesTest {

    private static MixRuntime runtime;
    private static TinyServer tiny;

    @BeforeAll
    static void start() {
        runtime = MixRuntime.start(MixSettings.builtInOnly());
        tiny = new TinyServer(runtime, c -> c);
    }

    @AfterAll
    static void stop() {
        tiny.close();
        runtime.close();
    }

    private static String sampled(int n, long seed, boolean stream) {
        JsonObject body = JsonParser.parseString(TinyServer.chat("tiny-llama", "tell me about the red car", 8))
                .getAsJsonObject();
        body.addProperty("temperature", 1.5);
        body.addProperty("seed", seed);
        body.addProperty("n", n);
        if (stream) {
            body.addProperty("stream", true);
            JsonObject options = new JsonObject();
            options.addProperty("include_usage", true);
            body.add("stream_options", options);
        }
        return body.toString();
    }

    private static JsonObject ok(String body) throws Exception {
        HttpResponse<String> r = tiny.post("/v1/chat/completions", body);
        assertEquals(200, r.statusCode(), r.body());
        return TinyServer.json(r);
    }

    @Test
    void eachChoiceIsTheAnswerOfTheNextSeedAlone() throws Exception {
        JsonObject three = ok(sampled(3, 40, false));
        JsonArray choices = three.getAsJsonArray("choices");
        assertEquals(3, choices.size());
        int completionTokens = 0;
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            JsonObject choice = choices.get(i).getAsJsonObject();
            assertEquals(i, choice.get("index").getAsInt());
            JsonObject alone = ok(sampled(1, 40 + i, false));
            String expected = alone.getAsJsonArray("choices").get(0).getAsJsonObject().getAsJsonObject("message")
                    .get("content").getAsString();
            assertEquals(expected, choice.getAsJsonObject("message").get("content").getAsString(), "choice " + i);
            texts.add(expected);
            completionTokens += alone.getAsJsonObject("usage").get("completion_tokens").getAsInt();
            assertEquals(alone.getAsJsonObject("usage").get("prompt_tokens").getAsInt(),
                    three.getAsJsonObject("usage").get("prompt_tokens").getAsInt(), "the prompt is counted once");
        }
        assertEquals(completionTokens, three.getAsJsonObject("usage").get("completion_tokens").getAsInt());
        assertTrue(new HashSet<>(texts).size() > 1, "sampled choices differ: " + texts);
    }

    @Test
    void streamedChoicesComeOneAfterTheOtherUnderTheirIndex() throws Exception {
        JsonArray whole = ok(sampled(2, 7, false)).getAsJsonArray("choices");
        HttpResponse<String> r = tiny.post("/v1/chat/completions", sampled(2, 7, true));
        assertEquals(200, r.statusCode(), r.body());
        StringBuilder[] texts = {new StringBuilder(), new StringBuilder()};
        List<Integer> roles = new ArrayList<>();
        List<Integer> finishes = new ArrayList<>();
        JsonObject usage = null;
        for (String line : r.body().lines().filter(l -> l.startsWith("data: {")).toList()) {
            JsonObject chunk = JsonParser.parseString(line.substring(6)).getAsJsonObject();
            if (chunk.getAsJsonArray("choices").isEmpty()) {
                usage = chunk.getAsJsonObject("usage");
                continue;
            }
            JsonObject choice = chunk.getAsJsonArray("choices").get(0).getAsJsonObject();
            int index = choice.get("index").getAsInt();
            JsonObject delta = choice.getAsJsonObject("delta");
            if (delta.has("role")) {
                roles.add(index);
            }
            if (delta.has("content")) {
                texts[index].append(delta.get("content").getAsString());
            }
            if (!choice.get("finish_reason").isJsonNull()) {
                finishes.add(index);
            }
        }
        assertEquals(List.of(0, 1), roles);
        assertEquals(List.of(0, 1), finishes);
        for (int i = 0; i < 2; i++) {
            assertEquals(whole.get(i).getAsJsonObject().getAsJsonObject("message").get("content").getAsString(),
                    texts[i].toString(), "choice " + i);
        }
        assertTrue(usage != null && usage.get("completion_tokens").getAsInt() > 0, r.body());
        assertTrue(r.body().endsWith("data: [DONE]\n\n"), r.body());
    }

    @Test
    void nOutsideOneToEightIs400NamingIt() throws Exception {
        for (int n : new int[] {0, 9}) {
            HttpResponse<String> r = tiny.post("/v1/chat/completions", sampled(n, 1, false));
            assertEquals(400, r.statusCode(), r.body());
            JsonObject e = TinyServer.json(r).getAsJsonObject("error");
            assertEquals("n", e.get("param").getAsString());
            assertNotEquals(-1, e.get("message").getAsString().indexOf("between 1 and 8"), e.toString());
        }
    }
}
