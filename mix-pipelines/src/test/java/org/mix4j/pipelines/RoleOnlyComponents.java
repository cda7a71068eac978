package org.mix4j.pipelines;

import ai.djl.ndarray.NDArray;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.mix4j.api.EncoderOutput;
import org.mix4j.api.TextEncoder;
import org.mix4j.api.Tokenizer;

/**
 * Components as a plugin would write them: the role interfaces of org.mix4j.api and nothing of the
 * built-in classes. Tests hand them to pipeline code to check it asks roles, not classes.
 */
public final class RoleOnlyComponents {

    private RoleOnlyComponents() {}

    /**
     * One id per character (its code point); {@code <bos>} is 1 and rows are padded with 0. A chat
     * template, when given, renders {@code [role]content} per message and a final {@code [assistant]}.
     */
    public static final class CharTokenizer implements Tokenizer {
        private final int modelMaxLength;
        private final boolean chatTemplate;

        public CharTokenizer(int modelMaxLength, boolean chatTemplate) {
            this.modelMaxLength = modelMaxLength;
            this.chatTemplate = chatTemplate;
        }

        @Override
        public long[] encode(String text) {
            long[] raw = encodeRaw(text);
            long[] ids = new long[raw.length + 1];
            ids[0] = 1;
            System.arraycopy(raw, 0, ids, 1, raw.length);
            return ids;
        }

        @Override
        public long[] encodeRaw(String text) {
            return text.codePoints().asLongStream().toArray();
        }

        @Override
        public String decode(long[] ids, boolean skipSpecialTokens) {
            StringBuilder sb = new StringBuilder();
            Arrays.stream(ids).filter(id -> id > 1).forEach(id -> sb.appendCodePoint((int) id));
            return sb.toString();
        }

        @Override
        public OptionalLong tokenId(String token) {
            return token.codePointCount(0, token.length()) == 1 ? OptionalLong.of(token.codePointAt(0))
                    : OptionalLong.empty();
        }

        @Override
        public TokenizedBatch encodeBatch(List<String> texts, int maxLength) {
            long[][] ids = new long[texts.size()][maxLength];
            long[][] mask = new long[texts.size()][maxLength];
            for (int b = 0; b < texts.size(); b++) {
                long[] row = encode(texts.get(b));
                for (int t = 0; t < Math.min(row.length, maxLength); t++) {
                    ids[b][t] = row[t];
                    mask[b][t] = 1;
                }
            }
            return new TokenizedBatch(ids, mask);
        }

        @Override
        public int modelMaxLength() {
            return modelMaxLength;
        }

        @Override
        public boolean hasChatTemplate() {
            return chatTemplate;
        }

        @Override
        public String applyChatTemplate(List<Map<String, Object>> messages, boolean addGenerationPrompt) {
            if (!chatTemplate) {
                return Tokenizer.super.applyChatTemplate(messages, addGenerationPrompt);
            }
            StringBuilder sb = new StringBuilder();
            messages.forEach(m -> sb.append('[').append(m.get("role")).append(']').append(m.get("content")));
            return sb.append(addGenerationPrompt ? "[assistant]" : "").toString();
        }
    }

    /** A text tower that returns zeros {@code [B, T, hidden]}; only its sizes matter to the callers tested. */
    public static final class ZeroTextEncoder implements TextEncoder {
        private final int maxPositions;
        private final OptionalInt vocabSize;

        public ZeroTextEncoder(int maxPositions, OptionalInt vocabSize) {
            this.maxPositions = maxPositions;
            this.vocabSize = vocabSize;
        }

        @Override
        public EncoderOutput encode(NDArray inputIds, NDArray attentionMask) {
            throw new UnsupportedOperationException("not needed by these tests");
        }

        @Override
        public int hiddenSize() {
            return 4;
        }

        @Override
        public int maxPositions() {
            return maxPositions;
        }

        @Override
        public OptionalInt vocabSize() {
            return vocabSize;
        }

        @Override
        public void close() {}
    }
}
