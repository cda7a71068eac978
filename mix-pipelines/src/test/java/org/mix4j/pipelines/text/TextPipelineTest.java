package org.mix4j.pipelines.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.llm.TestData;
import org.mix4j.llm.TinyCheckpoint;
import org.mix4j.llm.TinyModels;
import org.mix4j.pipelines.RoleOnlyComponents.CharTokenizer;
import org.mix4j.pipelines.decoding.DecodeResult;

/** task: text from YAML and from a bare checkpoint directory. */
class TextPipelineTest {

    @TempDir
    Path dir;

    private NDManager manager;

    @BeforeEach
    void setUp() throws Exception {
        manager = NDManager.newBaseManager();
        Path resources = TestData.resource("tiny-chat");
        for (String f : List.of("tokenizer.json", "tokenizer_config.json", "generation_config.json")) {
            Files.copy(resources.resolve(f), dir.resolve(f));
        }
        TinyCheckpoint.write(dir, Files.readString(resources.resolve("config.json")), 21);
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    /** Ids of a prompt in the tiny byte-level vocabulary with no merge applying: bytes and specials. */
    private static long[] bytesAndSpecials(String text) {
        List<Long> ids = new ArrayList<>();
        Map<String, Long> specials = Map.of("<|im_start|>", TestData.IM_START, "<|im_end|>", TestData.IM_END);
        int i = 0;
        while (i < text.length()) {
            String special = specials.keySet().stream().filter(text.substring(i)::startsWith).findFirst().orElse(null);
            if (special != null) {
                ids.add(specials.get(special));
                i += special.length();
            } else {
                for (byte b : String.valueOf(text.charAt(i)).getBytes(StandardCharsets.UTF_8)) {
                    ids.add((long) (b & 0xff));
                }
                i++;
            }
        }
        return ids.stream().mapToLong(Long::longValue).toArray();
    }

    @Test
    void checkpointDirectoryUsesChatTemplateAndGenerationConfig() {
        try (TextPipeline p = TextPipeline.fromCheckpoint(dir, TinyModels.loader(), manager)) {
            assertEquals(8, p.settings().maxNewTokens());
            assertEquals(1.1, p.settings().repetitionPenalty());
            assertEquals(List.of(TestData.IM_END, TestData.ENDOFTEXT), p.settings().eosTokenId());
            long[] ids = p.encodePrompt(List.of(TextPipeline.message("user", "Hi")));
            assertArrayEquals(bytesAndSpecials("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
                    + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"), ids);
        }
    }

    @Test
    void yamlPromptTemplateSystemPromptAndGenerationOverrides() throws Exception {
        Path yaml = dir.resolve("text.yaml");
        Files.writeString(yaml, """
            task: text
            checkpoint: .
            llm: { type: qwen2 }
            tokenizer: { type: hf_tokenizer }
            system_prompt: "Be brief."
            prompt_template: "[{system}] {prompt} =>"
            generation: { max_new_tokens: 5, seed: 3 }
            """);
        try (TextPipeline p = TextPipeline.load(yaml, TinyModels.loader(), manager)) {
            assertEquals(5, p.settings().maxNewTokens(), "YAML wins over generation_config.json");
            assertEquals(1.1, p.settings().repetitionPenalty(), "generation_config.json fills the rest");
            assertArrayEquals(bytesAndSpecials("[Be brief.] Hi =>"),
                    p.encodePrompt(List.of(TextPipeline.message("user", "Hi"))));
            StringBuilder streamed = new StringBuilder();
            DecodeResult r = p.generate("Hi", p.settings(), (row, text) -> streamed.append(text));
            assertTrue(r.tokens().get(0).length <= 5);
            assertEquals(r.texts().get(0), streamed.toString());
        }
    }

    @Test
    void aPluginTokenizersChatTemplateIsUsedAsTheBuiltInsIs() {
        try (TextPipeline p = TextPipeline.fromCheckpoint(dir, TinyModels.loader(), manager)) {
            CharTokenizer templated = new CharTokenizer(Integer.MAX_VALUE, true);
            TextPipeline plugin = new TextPipeline(p.llm(), templated, p.settings(), null, null, manager, 0);
            assertArrayEquals(templated.encodeRaw("[user]Hi[assistant]"),
                    plugin.encodePrompt(List.of(TextPipeline.message("user", "Hi"))),
                    "rendered by the template, special tokens left to it");
            TextPipeline plain = new TextPipeline(p.llm(), new CharTokenizer(Integer.MAX_VALUE, false), p.settings(),
                    null, null, manager, 0);
            assertArrayEquals(new long[] {1, 'H', 'i'}, plain.encodePrompt(List.of(TextPipeline.message("user", "Hi"))));
        }
    }

    @Test
    void aTokenizerWithoutADirectoryIsReportedAtItsSection() throws Exception {
        Path yaml = dir.resolve("no-checkpoint.yaml");
        Files.writeString(yaml, "task: text\nllm: { type: llama, init: random }\ntokenizer: { type: hf_tokenizer }\n");
        org.mix4j.config.ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(
                org.mix4j.config.ConfigException.class, () -> TextPipeline.load(yaml, TinyModels.loader(), manager));
        assertEquals(yaml.toString(), e.file(), e.getMessage());
        assertEquals(3, e.line(), e.getMessage());
        assertEquals("tokenizer", e.keyPath());
        assertTrue(e.getMessage().contains("no directory to read tokenizer.json from"), e.getMessage());
    }

    @Test
    void aStopIdOutsideTheVocabularyIsReportedAtItsLineWithTheVocabularySize() throws Exception {
        // it was accepted: a stop id the model can never produce, every answer ran to max_new_tokens
        Path yaml = dir.resolve("bad-eos.yaml");
        Files.writeString(yaml, """
            task: text
            checkpoint: .
            llm: { type: qwen2 }
            tokenizer: { type: hf_tokenizer }
            generation:
              eos_token_id: [2, 272]
            """);
        org.mix4j.config.ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(
                org.mix4j.config.ConfigException.class, () -> TextPipeline.load(yaml, TinyModels.loader(), manager));
        assertEquals("generation.eos_token_id", e.keyPath());
        assertEquals(6, e.line(), e.getMessage());
        assertTrue(e.getMessage().contains("272 is outside the language model's vocabulary of 272 tokens"),
                e.getMessage());
    }
}
