package org.mix4j.pipelines.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.mix4j.pipelines.RoleOnlyComponents.CharTokenizer;
import org.mix4j.pipelines.RoleOnlyComponents.ZeroTextEncoder;

/** Prompt rows are padded by what the Tokenizer and TextEncoder roles say, whatever class implements them. */
class PromptEncodingTest {

    @Test
    void padsToAPluginTokenizersModelMaxLength() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray ids = PromptEncoding.tokenize(new CharTokenizer(5, false), null, List.of("ab", "abcdefgh"), m,
                    "prompt");
            assertArrayEquals(new long[] {2, 5}, ids.getShape().getShape());
            assertArrayEquals(new long[] {1, 'a', 'b', 0, 0, 1, 'a', 'b', 'c', 'd'}, ids.toLongArray());
        }
    }

    @Test
    void padsToTheShorterOfTokenizerAndTextEncoder() {
        try (NDManager m = NDManager.newBaseManager()) {
            ZeroTextEncoder encoder = new ZeroTextEncoder(3, OptionalInt.empty());
            assertArrayEquals(new long[] {1, 3}, PromptEncoding.tokenize(new CharTokenizer(5, false), encoder,
                    List.of("ab"), m, "prompt").getShape().getShape());
            assertArrayEquals(new long[] {1, 3}, PromptEncoding.tokenize(new CharTokenizer(Integer.MAX_VALUE, false),
                    encoder, List.of("ab"), m, "prompt").getShape().getShape());
        }
    }

    @Test
    void tokenizerWithoutModelMaxLengthNeedsATextEncoder() {
        try (NDManager m = NDManager.newBaseManager()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PromptEncoding.tokenize(
                    new CharTokenizer(Integer.MAX_VALUE, false), null, List.of("ab"), m, "prompt"));
            assertTrue(e.getMessage().contains("model_max_length"), e.getMessage());
        }
    }
}
