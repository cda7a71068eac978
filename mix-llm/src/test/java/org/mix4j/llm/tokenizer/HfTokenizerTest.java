package org.mix4j.llm.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mix4j.llm.TestData.BEGIN_OF_TEXT;
import static org.mix4j.llm.TestData.HELLO;
import static org.mix4j.llm.TestData.IM_END;
import static org.mix4j.llm.TestData.IM_START;
import static org.mix4j.llm.TestData.SPACE_WORLD;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mix4j.config.JsonConfig;
import org.mix4j.llm.TestData;
import org.mix4j.weights.CheckpointException;

/** hf_tokenizer on small hand-built tokenizer.json files (byte-level BPE with a few merges). */
class HfTokenizerTest {

    private static HfTokenizer load(String dir, HfTokenizerConfig config) {
        Path d = TestData.resource(dir);
        return HfTokenizerFactory.load(d, config, JsonConfig.read(d.resolve("tokenizer_config.json")));
    }

    private static HfTokenizerConfig defaults() {
        return new HfTokenizerConfig("tokenizer.json", null, null, null, "default");
    }

    @Test
    void encodesWithMergesAndDecodesBack() {
        try (HfTokenizer t = load("tiny-chat", defaults())) {
            assertArrayEquals(new long[] {HELLO, SPACE_WORLD}, t.encode("Hello world"));
            assertEquals("Hello world", t.decode(new long[] {HELLO, SPACE_WORLD}, true));
        }
    }

    @Test
    void multiByteCharacterSpansTwoByteTokens() {
        try (HfTokenizer t = load("tiny-chat", defaults())) {
            assertArrayEquals(new long[] {0xC3, 0xA9}, t.encodeRaw("é"));
            assertTrue(t.decode(new long[] {0xC3}, true).endsWith("\uFFFD"), "half a character decodes to U+FFFD");
        }
    }

    @Test
    void specialTokensAreSplitOutAndSkippedOnRequest() {
        try (HfTokenizer t = load("tiny-chat", defaults())) {
            assertArrayEquals(new long[] {IM_START, 'u', 's', 'e', 'r'}, t.encodeRaw("<|im_start|>user"));
            assertEquals("user", t.decode(new long[] {IM_START, 'u', 's', 'e', 'r', IM_END}, true));
            assertEquals("<|im_start|>user<|im_end|>", t.decode(new long[] {IM_START, 'u', 's', 'e', 'r', IM_END}, false));
            assertEquals(IM_END, t.specialId("eos_token").getAsLong());
            assertEquals(IM_END, t.tokenId("<|im_end|>").getAsLong());
            assertEquals(HELLO, t.tokenId("Hello").getAsLong());
            assertTrue(t.tokenId("no such token").isEmpty());
        }
    }

    @Test
    void postProcessorAddsBosUnlessConfigSaysNot() {
        try (HfTokenizer t = load("tiny-bos", defaults())) {
            assertArrayEquals(new long[] {BEGIN_OF_TEXT, HELLO}, t.encode("Hello"));
            assertArrayEquals(new long[] {HELLO}, t.encodeRaw("Hello"));
        }
        try (HfTokenizer t = load("tiny-bos", new HfTokenizerConfig("tokenizer.json", false, null, null, "default"))) {
            assertArrayEquals(new long[] {HELLO}, t.encode("Hello"));
        }
        try (HfTokenizer t = load("tiny-chat", new HfTokenizerConfig("tokenizer.json", null, true, null, "default"))) {
            assertArrayEquals(new long[] {HELLO, IM_END}, t.encode("Hello"), "add_eos_token appends the eos token");
        }
    }

    @Test
    void cleanUpTokenizationSpacesFollowsTheConfig() {
        try (HfTokenizer t = load("tiny-bos", defaults())) { // clean_up_tokenization_spaces: true
            assertEquals("Hello, world.", t.decode(t.encodeRaw("Hello , world ."), true));
        }
        try (HfTokenizer t = load("tiny-chat", defaults())) {
            assertEquals("Hello , world .", t.decode(t.encodeRaw("Hello , world ."), true));
        }
    }

    @Test
    void chatTemplateJinjaFileWinsOverTokenizerConfig() {
        try (HfTokenizer t = load("tiny-bos", defaults())) {
            String prompt = t.applyChatTemplate(List.of(Map.of("role", "user", "content", "Hi")), true);
            assertEquals("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                    + "<|start_header_id|>assistant<|end_header_id|>\n\n", prompt);
        }
    }

    @Test
    void batchIsRightPaddedWithThePadToken() {
        try (HfTokenizer t = load("tiny-chat", defaults())) {
            var batch = t.encodeBatch(List.of("Hello world", "Hello"), 3);
            assertArrayEquals(new long[] {HELLO, SPACE_WORLD, TestData.ENDOFTEXT}, batch.ids()[0]);
            assertArrayEquals(new long[] {HELLO, TestData.ENDOFTEXT, TestData.ENDOFTEXT}, batch.ids()[1]);
            assertArrayEquals(new long[] {1, 0, 0}, batch.attentionMask()[1]);
        }
    }

    @Test
    void missingTokenizerFileNamesThePath() {
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> load("tiny-chat", new HfTokenizerConfig("nope.json", null, null, null, "default")));
        assertTrue(e.getMessage().contains("nope.json"), e.getMessage());
    }

    @Test
    void tokenizerRunsInDjlOfflineMode() {
        try (HfTokenizer t = load("tiny-chat", defaults())) {
            assertEquals("true", System.getProperty("ai.djl.offline", System.getenv("DJL_OFFLINE")));
        }
    }

    @Test
    void modelMaxLengthComesFromTheTokenizerConfig() {
        try (HfTokenizer t = load("tiny-chat", defaults())) {
            assertEquals(256, t.modelMaxLength());
        }
        Path d = TestData.resource("tiny-chat");
        com.google.gson.JsonObject unset = JsonConfig.read(d.resolve("tokenizer_config.json"));
        unset.addProperty("model_max_length", 1e30); // transformers' VERY_LARGE_INTEGER
        try (HfTokenizer t = HfTokenizerFactory.load(d, defaults(), unset)) {
            assertEquals(Integer.MAX_VALUE, t.modelMaxLength());
        }
    }
}
