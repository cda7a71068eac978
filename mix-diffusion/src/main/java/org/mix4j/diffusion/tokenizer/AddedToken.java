package org.mix4j.diffusion.tokenizer;

/**
 * A token matched literally in the text before any cleaning or BPE (transformers' {@code AddedToken}):
 * the special tokens and the entries of {@code added_tokens_decoder}.
 *
 * @param lstrip whether whitespace to its left is dropped
 * @param rstrip whether whitespace to its right is dropped
 */
public record AddedToken(String content, boolean lstrip, boolean rstrip) {

    public AddedToken {
        if (content == null || content.isEmpty()) {
            throw new IllegalArgumentException("an added token needs non-empty content");
        }
    }

    public static AddedToken of(String content) {
        return new AddedToken(content, false, false);
    }
}
