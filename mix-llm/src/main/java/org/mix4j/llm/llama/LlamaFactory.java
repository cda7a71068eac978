package org.mix4j.llm.llama;

import org.pf4j.Extension;

/** {@code type: llama}: LLaMA 1-3 decoder (transformers LlamaForCausalLM), served by the one LLaMA-family implementation. */
@Extension
public final class LlamaFactory extends LlamaFamilyFactory {

    public LlamaFactory() {
        super("llama", "LLaMA 1-3 decoder (transformers LlamaForCausalLM)", "LlamaForCausalLM");
    }
}
