package org.mix4j.diffusion.tokenizer;

import java.util.List;

/**
 * The special tokens of a CLIP tokenizer, resolved from YAML, {@code tokenizer_config.json},
 * {@code special_tokens_map.json} and the class defaults.
 *
 * @param pad what rows are padded with: {@code <|endoftext|>} by default (SD 1.x), {@code !} (id 0)
 *     in SD 2.x and SDXL's second tokenizer
 * @param additional {@code additional_special_tokens}
 */
public record SpecialTokens(AddedToken bos, AddedToken eos, AddedToken unk, AddedToken pad, List<AddedToken> additional) {

    public SpecialTokens {
        additional = List.copyOf(additional);
    }

    /** bos, eos, unk, pad, then the additional ones. */
    public List<AddedToken> all() {
        List<AddedToken> all = new java.util.ArrayList<>(List.of(bos, eos, unk, pad));
        all.addAll(additional);
        return all;
    }
}
