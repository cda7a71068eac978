package org.mix4j.diffusion.tokenizer;

import org.mix4j.config.ConfigNode;
import org.mix4j.config.Default;
import org.mix4j.config.OptionalKey;

/**
 * {@code tokenizer_config.json} of transformers' {@code CLIPTokenizer}, plus where its other files
 * are. Special tokens are a string or an object with {@code content} (and {@code lstrip},
 * {@code rstrip}), as transformers writes them; absent ones come from {@code special_tokens_map.json}
 * (configs without {@code added_tokens_decoder}, as transformers does) or the class defaults
 * ({@code <|startoftext|>}, and {@code <|endoftext|>} for eos, unk and pad).
 *
 * @param modelMaxLength the model's context (77 for CLIP); absent means unlimited
 * @param padToken what rows are padded with, e.g. {@code "!"} for SD 2.x / SDXL's second tokenizer
 * @param addedTokensDecoder {@code {"id": {content, lstrip, rstrip, ...}}}: tokens matched literally
 * @param vocab {@code vocab.json}, relative to the component directory
 * @param merges {@code merges.txt}, relative to the component directory
 * @param specialTokensMap {@code special_tokens_map.json}, relative to the component directory
 */
public record ClipBpeConfig(
        @OptionalKey Double modelMaxLength,
        @OptionalKey ConfigNode bosToken,
        @OptionalKey ConfigNode eosToken,
        @OptionalKey ConfigNode unkToken,
        @OptionalKey ConfigNode padToken,
        @OptionalKey ConfigNode additionalSpecialTokens,
        @OptionalKey ConfigNode addedTokensDecoder,
        @Default("vocab.json") String vocab,
        @Default("merges.txt") String merges,
        @Default("special_tokens_map.json") String specialTokensMap) {

    public ClipBpeConfig {
        if (modelMaxLength != null && modelMaxLength < 2) {
            throw new IllegalArgumentException("model_max_length must be >= 2 (start and end token), got " + modelMaxLength);
        }
    }

    /** {@code model_max_length} as an int; unlimited (transformers' 1e30) becomes {@code Integer.MAX_VALUE}. */
    public int maxLength() {
        return modelMaxLength == null || modelMaxLength >= Integer.MAX_VALUE ? Integer.MAX_VALUE : modelMaxLength.intValue();
    }
}
