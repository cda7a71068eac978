package org.mix4j.pipelines.text;

import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.mix4j.api.LanguageModel;
import org.mix4j.api.Tokenizer;
import org.mix4j.pipelines.chat.ChatModel;
import org.mix4j.pipelines.chat.ChatPrompt;
import org.mix4j.pipelines.chat.ChatTurn;

/** A {@link TextPipeline} as a chat model: the conversation through its prompt template or chat template. */
final class TextChat implements ChatModel {

    private final TextPipeline pipeline;

    TextChat(TextPipeline pipeline) {
        this.pipeline = pipeline;
    }

    @Override
    public LanguageModel llm() {
        return pipeline.llm();
    }

    @Override
    public Tokenizer tokenizer() {
        return pipeline.tokenizer();
    }

    @Override
    public boolean acceptsImages() {
        return false;
    }

    @Override
    public ChatPrompt prompt(List<ChatTurn> turns, String system) {
        List<Map<String, Object>> messages = new ArrayList<>();
        if (system != null) {
            messages.add(TextPipeline.message("system", system));
        }
        for (ChatTurn t : turns) {
            messages.add(TextPipeline.message("user", t.user()));
            if (t.reply() != null) {
                messages.add(TextPipeline.message("assistant", t.reply()));
            }
        }
        long[] ids = pipeline.encodePrompt(messages);
        return new ChatPrompt(ids, ids, (from, scope) -> {
            long[] rest = Arrays.copyOfRange(ids, from, ids.length);
            return pipeline.llm().embed(scope.create(rest, new Shape(1, rest.length)));
        });
    }
}
