package org.mix4j.llm.tokenizer;

/** A chat template that cannot be rendered, or that raised an error itself. */
public final class ChatTemplateException extends RuntimeException {

    public ChatTemplateException(String message) {
        super(message);
    }
}
