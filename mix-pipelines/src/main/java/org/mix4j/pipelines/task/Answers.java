package org.mix4j.pipelines.task;

import com.google.gson.JsonObject;
import java.io.PrintWriter;
import java.util.Locale;
import org.mix4j.pipelines.decoding.DecodeResult;
import org.mix4j.pipelines.decoding.TextStreamer;

/**
 * How a text task prints its answers: one prompt in plain text is streamed as it decodes; several
 * prompts (or {@code --json}) print each answer once it is complete, in prompt order.
 */
public final class Answers {


    private Answers() {}

    /** Streams to {@code out} only for the single plain-text answer; otherwise prints nothing while decoding. */
    public static TextStreamer streamer(RunOptions options, PrintWriter out) {
        if (options.json() || options.prompts().size() > 1) {
            return (row, text) -> {};
        }
        return (row, text) -> {
            out.print(text);
            out.flush();
        };
    }

    /** Ends the streamed answer, or prints every answer: a line each, or a JSON object each. */
    public static void print(RunOptions options, DecodeResult r, PrintWriter out) {
        if (!options.json() && options.prompts().size() <= 1) {
            out.println();
        } else {
            for (int i = 0; i < r.texts().size(); i++) {
                out.println(options.json() ? json(i, r).toString() : r.texts().get(i));
            }
        }
        out.flush();
    }

    /** {@code {"prompt": i, "answer": ..., "finish_reason": ..., "tokens": n}} for row {@code i}. */
    public static JsonObject json(int row, DecodeResult r) {
        JsonObject o = new JsonObject();
        o.addProperty("prompt", row);
        o.addProperty("answer", r.texts().get(row));
        o.addProperty("finish_reason", r.finishReasons().get(row).name().toLowerCase(Locale.ROOT));
        o.addProperty("tokens", r.tokens().get(row).length);
        return o;
    }
}
