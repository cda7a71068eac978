package org.mix4j.pipelines.understanding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.mix4j.api.Tokenizer;
import org.mix4j.config.ConfigException;
import org.mix4j.config.ConfigNode.Origin;

class PromptBuilderTest {

    /** A tokenizer without a chat template; nothing else is called. */
    private static final Tokenizer PLAIN = new Tokenizer() {
        @Override
        public long[] encode(String text) {
            return new long[0];
        }

        @Override
        public long[] encodeRaw(String text) {
            return new long[0];
        }

        @Override
        public String decode(long[] ids, boolean skipSpecialTokens) {
            return "";
        }

        @Override
        public OptionalLong tokenId(String token) {
            return OptionalLong.empty();
        }

        @Override
        public Tokenizer.TokenizedBatch encodeBatch(List<String> texts, int maxLength) {
            throw new UnsupportedOperationException();
        }
    };

    @Test
    void noChatTemplateAndNoPromptTemplateIsReportedWhereTheTemplateBelongs() {
        Origin document = new Origin("llava.yaml", 1, 1);
        ConfigException e = assertThrows(ConfigException.class,
                () -> new PromptBuilder(null, null, "<image>", document).build("hi", 1, PLAIN));
        assertEquals("llava.yaml", e.file());
        assertEquals(1, e.line());
        assertEquals("prompt_template", e.keyPath());
    }
}
