package org.mix4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.openai.client.OpenAIClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionContentPart;
import com.openai.models.chat.completions.ChatCompletionContentPartImage;
import com.openai.models.chat.completions.ChatCompletionContentPartText;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.CompletionUsage;
import com.openai.models.models.Model;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mix4j.MixRuntime;
import org.mix4j.config.ConfigOverrides;
import org.mix4j.image.ImageDecoder;
import org.mix4j.pipelines.decoding.DecodeResult;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.pipelines.text.TextPipeline;
import org.mix4j.pipelines.understanding.UnderstandingPipeline;
import org.mix4j.registry.MixSettings;

/**
 * The demo server through the official OpenAI Java SDK; the answers are compared with what the
 * pipelines give directly for the same prompt (what {@code mix run --max-new-tokens N} prints).
 */
class ServerOpenAiTest {

    private static final String PROMPT = "what color is the red car ?";
    private static MixRuntime runtime;
    private static TinyServer tiny;
    private static OpenAIClient client;

    @BeforeAll
    static void start() {
        runtime = MixRuntime.start(MixSettings.builtInOnly());
        tiny = new TinyServer(runtime, c -> c.withApiKeys(List.of("sk-test")));
        client = tiny.openai("sk-test");
    }

    @AfterAll
    static void stop() {
        tiny.close();
        runtime.close();
    }

    /** What the text pipeline answers, loaded as {@code mix run} loads it with {@code --max-new-tokens n}. */
    private static DecodeResult direct(String prompt, int n) {
        PipelineConfig config = PipelineConfig.load(TinyServer.ROOT.resolve("examples/serve/tiny-text.yaml"),
                new ConfigOverrides().set("generation.max_new_tokens", n, "--max-new-tokens"));
        try (NDManager m = NDManager.newBaseManager(); TextPipeline p = TextPipeline.load(config, runtime.loader(), m)) {
            return p.generate(prompt, p.settings(), null);
        }
    }

    private static ChatCompletionCreateParams textParams(int n) {
        return ChatCompletionCreateParams.builder().model("tiny-llama").addUserMessage(PROMPT).maxCompletionTokens(n)
                .temperature(0.0).build();
    }

    @Test
    void chatWithTheTextModelAnswersAsThePipelineDoes() {
        ChatCompletion c = client.chat().completions().create(textParams(10));
        DecodeResult expected = direct(PROMPT, 10);
        assertEquals(expected.texts().get(0), c.choices().get(0).message().content().orElseThrow());
        assertFalse(expected.texts().get(0).isBlank(), "the tiny model says something");
        assertEquals("tiny-llama", c.model());
        assertEquals(expected.promptTokens(), c.usage().orElseThrow().promptTokens());
        assertEquals(expected.generatedTokens(), c.usage().orElseThrow().completionTokens());
        assertEquals(expected.promptTokens() + expected.generatedTokens(), c.usage().orElseThrow().totalTokens());
        String finish = expected.finishReasons().get(0) == DecodeResult.FinishReason.LENGTH ? "length" : "stop";
        assertEquals(finish, c.choices().get(0).finishReason().toString());
    }

    @Test
    void streamedChunksConcatenateToTheNonStreamedAnswer() {
        String whole = client.chat().completions().create(textParams(12)).choices().get(0).message().content()
                .orElseThrow();
        StringBuilder streamed = new StringBuilder();
        List<String> finishes = new ArrayList<>();
        List<CompletionUsage> usages = new ArrayList<>();
        int chunks = 0;
        ChatCompletionCreateParams params = textParams(12).toBuilder()
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
            for (ChatCompletionChunk chunk : (Iterable<ChatCompletionChunk>) stream.stream()::iterator) {
                chunks++;
                chunk.usage().ifPresent(usages::add);
                chunk.choices().forEach(ch -> {
                    ch.delta().content().ifPresent(streamed::append);
                    ch.finishReason().ifPresent(f -> finishes.add(f.toString()));
                });
            }
        }
        assertEquals(whole, streamed.toString());
        assertTrue(chunks >= 3, "a role chunk, text chunks and a final chunk; got " + chunks);
        assertEquals(1, finishes.size(), "one chunk carries the finish reason");
        DecodeResult expected = direct(PROMPT, 12);
        assertEquals(1, usages.size(), "stream_options.include_usage: one usage chunk");
        assertEquals(expected.generatedTokens(), usages.get(0).completionTokens());
        assertEquals(expected.promptTokens(), usages.get(0).promptTokens());
    }

    @Test
    void chatWithAnImageAsADataUrlAnswersAsTheUnderstandingPipelineDoes() throws IOException {
        String prompt = "What is in the picture?";
        ChatCompletionContentPart text = ChatCompletionContentPart.ofText(
                ChatCompletionContentPartText.builder().text(prompt).build());
        ChatCompletionContentPart image = ChatCompletionContentPart.ofImageUrl(ChatCompletionContentPartImage.builder()
                .imageUrl(ChatCompletionContentPartImage.ImageUrl.builder().url(TinyServer.imageDataUrl()).build())
                .build());
        ChatCompletion c = client.chat().completions().create(ChatCompletionCreateParams.builder().model("tiny-llava")
                .addUserMessageOfArrayOfContentParts(List.of(text, image)).maxCompletionTokens(12).temperature(0.0)
                .build());
        PipelineConfig config = PipelineConfig.load(TinyServer.ROOT.resolve("examples/understanding/tiny-llava.yaml"),
                new ConfigOverrides().set("generation.max_new_tokens", 12, "--max-new-tokens"));
        String expected;
        try (NDManager m = NDManager.newBaseManager();
                UnderstandingPipeline p = UnderstandingPipeline.load(config, runtime.loader(), m)) {
            DecodeResult r = p.answer(List.of(ImageDecoder.readRgb(TinyServer.IMAGE)), prompt, null);
            expected = r.texts().get(0);
            assertEquals(r.promptTokens(), c.usage().orElseThrow().promptTokens(), "image tokens count in the prompt");
        }
        assertEquals(expected, c.choices().get(0).message().content().orElseThrow());
    }

    @Test
    void modelsAreListedInOpenAiShape() {
        List<String> ids = client.models().list().data().stream().map(Model::id).toList();
        assertEquals(List.of("tiny-llama", "tiny-llava", "tiny-clip", "tiny-sd"), ids);
        assertEquals("tiny-llava", client.models().retrieve("tiny-llava").id());
    }
}
