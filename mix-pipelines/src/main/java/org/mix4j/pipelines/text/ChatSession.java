package org.mix4j.pipelines.text;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.mix4j.pipelines.decoding.DecodeResult;
import org.mix4j.pipelines.decoding.TextStreamer;
import org.mix4j.pipelines.task.DecodingSettings;

/** A conversation with a {@link TextPipeline}: each turn re-renders the whole history. */
public final class ChatSession {

    private final TextPipeline pipeline;
    private final DecodingSettings settings;
    private final List<Map<String, Object>> history = new ArrayList<>();

    ChatSession(TextPipeline pipeline, DecodingSettings settings) {
        this.pipeline = pipeline;
        this.settings = settings;
    }

    /** Sends a user message; the reply is streamed and added to the history. */
    public DecodeResult send(String userText, TextStreamer streamer) {
        history.add(TextPipeline.message("user", userText));
        DecodeResult result;
        try {
            result = pipeline.complete(history, settings, streamer);
        } catch (RuntimeException e) {
            history.remove(history.size() - 1); // a failed turn leaves the conversation as it was
            throw e;
        }
        history.add(TextPipeline.message("assistant", result.texts().get(0)));
        return result;
    }

    /** Forgets the conversation. */
    public void reset() {
        history.clear();
    }

    public List<Map<String, Object>> history() {
        return List.copyOf(history);
    }
}
