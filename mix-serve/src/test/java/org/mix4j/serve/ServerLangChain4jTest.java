package org.mix4j.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.google.gson.JsonArray;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.image.Image;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiEmbeddingModel;
import dev.langchain4j.model.openai.OpenAiImageModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mix4j.MixRuntime;
import org.mix4j.image.ImageDecoder;
import org.mix4j.registry.MixSettings;

/**
 * LangChain4j's OpenAI module against the demo server: chat with an image, streaming, embeddings
 * and image generation, each compared with what the server answers plain HTTP requests.
 */
class ServerLangChain4jTest {

    private static final String KEY = "sk-lc4j";
    private static MixRuntime runtime;
    private static TinyServer tiny;

    @BeforeAll
    static void start() {
        runtime = MixRuntime.start(MixSettings.builtInOnly());
        tiny = new TinyServer(runtime, c -> c.withApiKeys(List.of(KEY)));
    }

    @AfterAll
    static void stop() {
        tiny.close();
        runtime.close();
    }

    private static OpenAiChatModel chat(String model) {
        return OpenAiChatModel.builder().baseUrl(tiny.url("/v1")).apiKey(KEY).modelName(model).maxTokens(6)
                .temperature(0.0).timeout(Duration.ofSeconds(60)).maxRetries(0).build();
    }

    private static String plainAnswer(String body) throws Exception {
        var r = tiny.post("/v1/chat/completions", body, "Authorization", "Bearer " + KEY);
        assertEquals(200, r.statusCode(), r.body());
        return TinyServer.answer(r);
    }

    @Test
    void chatAndStreamingGiveTheServersAnswer() throws Exception {
        String prompt = "what color is the red car ?";
        String expected = plainAnswer(TinyServer.chat("tiny-llama", prompt, 6));
        assertFalse(expected.isBlank());
        assertEquals(expected, chat("tiny-llama").chat(prompt));

        OpenAiStreamingChatModel streaming = OpenAiStreamingChatModel.builder().baseUrl(tiny.url("/v1")).apiKey(KEY)
                .modelName("tiny-llama").maxTokens(6).temperature(0.0).timeout(Duration.ofSeconds(60)).build();
        StringBuilder pieces = new StringBuilder();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        streaming.chat(prompt, new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
                pieces.append(partial);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse response = done.get(60, TimeUnit.SECONDS);
        assertEquals(expected, pieces.toString());
        assertEquals(expected, response.aiMessage().text());
    }

    @Test
    void chatWithAnImageGivesTheUnderstandingModelsAnswer() throws Exception {
        String prompt = "What is in the picture?";
        String image = Base64.getEncoder().encodeToString(Files.readAllBytes(TinyServer.IMAGE));
        String body = "{\"model\": \"tiny-llava\", \"max_tokens\": 6, \"temperature\": 0, \"messages\": [{\"role\": "
                + "\"user\", \"content\": [{\"type\": \"text\", \"text\": \"" + prompt + "\"}, {\"type\": \"image_url\", "
                + "\"image_url\": {\"url\": \"data:image/png;base64," + image + "\"}}]}]}";
        String expected = plainAnswer(body);
        ChatResponse r = chat("tiny-llava").chat(UserMessage.from(TextContent.from(prompt),
                ImageContent.from(image, "image/png")));
        assertEquals(expected, r.aiMessage().text());
    }

    @Test
    void embeddingsEqualTheServers() throws Exception {
        OpenAiEmbeddingModel model = OpenAiEmbeddingModel.builder().baseUrl(tiny.url("/v1")).apiKey(KEY)
                .modelName("tiny-clip").timeout(Duration.ofSeconds(60)).build();
        Embedding e = model.embed("a red sun").content();
        var r = tiny.post("/v1/embeddings", "{\"model\": \"tiny-clip\", \"input\": \"a red sun\"}", "Authorization",
                "Bearer " + KEY);
        JsonArray values = TinyServer.json(r).getAsJsonArray("data").get(0).getAsJsonObject().getAsJsonArray("embedding");
        float[] expected = new float[values.size()];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = values.get(i).getAsFloat();
        }
        assertArrayEquals(expected, e.vector(), 1e-6f);
    }

    @Test
    void imageGenerationReturnsADecodablePicture() {
        OpenAiImageModel model = OpenAiImageModel.builder().baseUrl(tiny.url("/v1")).apiKey(KEY).modelName("tiny-sd")
                .timeout(Duration.ofSeconds(60)).maxRetries(0).build();
        Image image = model.generate("a big red sun").content();
        assertNotNull(image.base64Data(), image.toString());
        var decoded = new ImageDecoder().read(Base64.getDecoder().decode(image.base64Data()), "generated");
        assertEquals(16, decoded.width(), "the tiny UNet's native size: sample_size x the VAE's factor");
        assertEquals(16, decoded.height());
    }
}
