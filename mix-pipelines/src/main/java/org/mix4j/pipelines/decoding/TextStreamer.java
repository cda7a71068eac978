package org.mix4j.pipelines.decoding;

/** Receives generated text as it becomes final, per batch row. */
@FunctionalInterface
public interface TextStreamer {

    /** {@code text} continues row {@code row}'s output; never retracted later. */
    void onText(int row, String text);
}
