package org.mix4j.llm.llama;

import org.pf4j.Extension;

/** {@code type: mistral}: Mistral decoder (transformers MistralForCausalLM; sliding window), served by the one LLaMA-family implementation. */
@Extension
public final class MistralFactory extends LlamaFamilyFactory {

    public MistralFactory() {
        super("mistral", "Mistral decoder (transformers MistralForCausalLM; sliding window)", "MistralForCausalLM");
    }
}
