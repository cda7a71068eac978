package org.mix4j.pipelines.decoding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mix4j.llm.TestData.HELLO;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mix4j.config.JsonConfig;
import org.mix4j.llm.TestData;
import org.mix4j.llm.tokenizer.HfTokenizer;
import org.mix4j.llm.tokenizer.HfTokenizerConfig;
import org.mix4j.llm.tokenizer.HfTokenizerFactory;

/** Text increments from a byte-level tokenizer: split characters, stop strings. */
class StreamDecoderTest {

    private static HfTokenizer tokenizer;

    @BeforeAll
    static void load() {
        Path dir = TestData.resource("tiny-chat");
        tokenizer = HfTokenizerFactory.load(dir, new HfTokenizerConfig("tokenizer.json", null, null, null, "default"),
                JsonConfig.read(dir.resolve("tokenizer_config.json")));
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    @Test
    void characterSplitAcrossTokensIsEmittedWhole() {
        StreamDecoder d = new StreamDecoder(tokenizer, List.of());
        assertEquals("H", d.push('H'));
        assertEquals("", d.push(0xC3), "first byte of é alone is held back");
        assertEquals("é", d.push(0xA9));
        assertEquals("!", d.push('!'));
        assertEquals("", d.flush());
        assertEquals("Hé!", d.text());
    }

    @Test
    void fourByteCharacterWaitsForAllBytes() {
        StreamDecoder d = new StreamDecoder(tokenizer, List.of());
        StringBuilder out = new StringBuilder();
        for (int b : new int[] {0xF0, 0x9F, 0x98}) { // first three bytes of U+1F600
            out.append(d.push(b));
        }
        assertEquals("", out.toString());
        assertEquals("\uD83D\uDE00", d.push(0x80));
    }

    @Test
    void stopStringIsNeverEmittedAndItsPrefixIsHeldBack() {
        StreamDecoder d = new StreamDecoder(tokenizer, List.of(" wor"));
        assertEquals("Hello", d.push(HELLO));
        assertEquals("", d.push(' '), "' ' could start ' wor'");
        assertEquals("", d.push('w'));
        assertTrue(!d.stopped());
        assertEquals("", d.push('o'));
        d.push('r');
        assertTrue(d.stopped());
        assertEquals("Hello", d.text());
        assertEquals("", d.flush());
    }

    @Test
    void heldBackPrefixIsReleasedWhenItDoesNotContinueTheStop() {
        StreamDecoder d = new StreamDecoder(tokenizer, List.of(" wor"));
        d.push(HELLO);
        assertEquals("", d.push(' '));
        assertEquals(" !", d.push('!'));
        assertEquals("Hello !", d.text());
    }
}
