package org.mix4j.serve;

import java.util.List;
import java.util.function.BooleanSupplier;
import org.mix4j.api.RgbImage;
import org.mix4j.pipelines.decoding.DecodeResult;
import org.mix4j.pipelines.decoding.TextStreamer;
import org.mix4j.pipelines.task.DecodingSettings;

/**
 * A loaded model as the server uses it: a text or understanding pipeline that answers a
 * conversation. Safe to call from several threads at once (the pipelines keep per-call state).
 */
public interface ServedModel extends AutoCloseable {

    /** One message of a request: its role ({@code system}, {@code user}, {@code assistant}), text and images. */
    record Message(String role, String text, List<RgbImage> images) {}

    /** Whether messages may carry images ({@code task: understanding}). */
    boolean acceptsImages();

    /** The pipeline's {@code generation:} settings, which a request's fields override. */
    DecodingSettings defaults();

    /**
     * Native bytes of the tensors this model holds, measured once after loading: what the memory
     * budget counts.
     */
    long bytes();

    /**
     * The assistant's next message.
     *
     * @param cancelled polled after each token; when true the reply ends as {@code CANCELLED}
     */
    DecodeResult complete(List<Message> conversation, DecodingSettings settings, TextStreamer streamer,
            BooleanSupplier cancelled);

    /** Frees the model's native memory; no call may be running. */
    @Override
    void close();
}
