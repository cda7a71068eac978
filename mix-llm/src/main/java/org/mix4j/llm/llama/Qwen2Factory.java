package org.mix4j.llm.llama;

import org.pf4j.Extension;

/** {@code type: qwen2}: Qwen2 / Qwen2.5 decoder (transformers Qwen2ForCausalLM; q/k/v bias), served by the one LLaMA-family implementation. */
@Extension
public final class Qwen2Factory extends LlamaFamilyFactory {

    public Qwen2Factory() {
        super("qwen2", "Qwen2 / Qwen2.5 decoder (transformers Qwen2ForCausalLM; q/k/v bias)", "Qwen2ForCausalLM");
    }
}
