package org.mix4j.training;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mix4j.api.LanguageModel;
import org.mix4j.api.Tokenizer;
import org.mix4j.pipelines.text.TextPipeline;
import org.mix4j.pipelines.understanding.PromptBuilder.Message;
import org.mix4j.pipelines.understanding.UnderstandingPipeline;
import org.mix4j.pipelines.understanding.VisionStack;

/**
 * What the causal-LM objective needs of a pipeline: its language model, how it writes a
 * conversation as tokens (exactly as its inference does), and for {@code task: understanding} its
 * vision stack and image token; a {@code task: text} pipeline has no vision ({@code null}).
 */
public record CausalLmModel(LanguageModel llm, Tokenizer tokenizer, Prompts prompts, VisionStack vision,
        long imageTokenId) {

    /** Writes a conversation as token ids. */
    @FunctionalInterface
    public interface Prompts {
        /**
         * @param system the sample's system prompt, or {@code null} for the pipeline's
         * @param generationPrompt append the prompt for the next reply (inference), or end with the last message
         */
        long[] encode(List<Message> conversation, String system, boolean generationPrompt);
    }

    public static CausalLmModel of(UnderstandingPipeline p) {
        return new CausalLmModel(p.llm(), p.tokenizer(),
                (conversation, system, generationPrompt) -> p.tokenizer().encode(
                        p.prompts().build(conversation, system, p.tokenizer(), generationPrompt)),
                p.vision(), p.imageTokenId());
    }

    public static CausalLmModel of(TextPipeline p) {
        return new CausalLmModel(p.llm(), p.tokenizer(), (conversation, system, generationPrompt) -> {
            List<Map<String, Object>> messages = new ArrayList<>();
            if (system != null) {
                messages.add(message("system", system));
            }
            conversation.forEach(m -> messages.add(message(m.role(), m.text())));
            return p.encodePrompt(messages, generationPrompt);
        }, null, -1);
    }

    /** Whether images can be trained on (an understanding pipeline). */
    public boolean hasVision() {
        return vision != null;
    }

    private static Map<String, Object> message(String role, String content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }
}
