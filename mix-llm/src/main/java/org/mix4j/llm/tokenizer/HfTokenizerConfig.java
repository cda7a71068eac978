package org.mix4j.llm.tokenizer;

import org.mix4j.config.Default;
import org.mix4j.config.OptionalKey;

/**
 * YAML keys of {@code type: hf_tokenizer}. Everything else (special tokens, {@code add_bos_token},
 * the chat template) comes from the checkpoint's {@code tokenizer_config.json},
 * {@code special_tokens_map.json} and {@code chat_template.jinja}; these keys override it.
 *
 * @param file the tokenizer definition inside the component's directory
 * @param addBosToken force adding (or not adding) the BOS token when encoding with special tokens
 * @param addEosToken force adding (or not adding) the EOS token
 * @param chatTemplate a Jinja chat template replacing the checkpoint's
 * @param chatTemplateName which of several named templates in tokenizer_config.json to use
 */
public record HfTokenizerConfig(
        @Default("tokenizer.json") String file,
        @OptionalKey Boolean addBosToken,
        @OptionalKey Boolean addEosToken,
        @OptionalKey String chatTemplate,
        @Default("default") String chatTemplateName) {

    public HfTokenizerConfig {
        if (file.isBlank()) {
            throw new IllegalArgumentException("file must name the tokenizer definition, e.g. tokenizer.json");
        }
    }
}
