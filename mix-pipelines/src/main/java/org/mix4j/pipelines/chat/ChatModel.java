package org.mix4j.pipelines.chat;

import java.util.List;
import org.mix4j.api.LanguageModel;
import org.mix4j.api.Tokenizer;

/**
 * What a {@link ChatSession} talks to: a pipeline's language model and tokenizer, and how it writes
 * a conversation as a prompt. One instance belongs to one session (it may keep per-session state,
 * such as the features of the images sent so far).
 */
public interface ChatModel extends AutoCloseable {

    LanguageModel llm();

    Tokenizer tokenizer();

    /** Whether turns may carry images. */
    boolean acceptsImages();

    /**
     * The prompt for {@code turns} (the last without a reply), with the generation prompt for the
     * next reply appended.
     *
     * @param system the system prompt, or {@code null} for the pipeline's own
     */
    ChatPrompt prompt(List<ChatTurn> turns, String system);

    /** Releases what was kept for turns that are no longer in {@code kept}. */
    default void retain(List<ChatTurn> kept) {
    }

    @Override
    default void close() {
    }
}
