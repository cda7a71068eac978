package org.mix4j.serve;

import java.util.List;
import java.util.function.BooleanSupplier;
import org.mix4j.api.ProgressListener;
import org.mix4j.api.RgbImage;
import org.mix4j.pipelines.decoding.DecodeResult;
import org.mix4j.pipelines.decoding.TextStreamer;
import org.mix4j.pipelines.task.DecodingSettings;
import org.mix4j.pipelines.task.DiffusionSettings;

/**
 * A loaded model as the server uses it: a pipeline that does one of three things, each behind
 * its own view: {@link #chat()} (text and understanding pipelines), {@link #embedder()} (retrieval
 * pipelines) or {@link #painter()} (generation pipelines). The views a model lacks are
 * {@code null}. Every view is safe to call from several threads at once (the pipelines keep
 * per-call state).
 */
public interface ServedModel extends AutoCloseable {

    /** One message of a request: its role ({@code system}, {@code user}, {@code assistant}), text and images. */
    record Message(String role, String text, List<RgbImage> images) {}

    /** The pipeline's {@code task:} ({@code text}, {@code understanding}, {@code retrieval}, {@code generation}). */
    String task();

    /**
     * Native bytes of the tensors this model holds, measured once after loading: what the memory
     * budget counts.
     */
    long bytes();

    /**
     * Native bytes the model holds for requests besides its own tensors (a generation model's cached
     * per-request LoRAs and ControlNets), now; the memory budget counts them too. Cheap, and safe to
     * call from any thread.
     */
    default long adapterBytes() {
        return 0;
    }

    /** Chat completions, or {@code null} for a model that does not chat. */
    default Chat chat() {
        return null;
    }

    /** Embeddings, or {@code null} for a model that does not embed. */
    default Embedder embedder() {
        return null;
    }

    /** Image generation, or {@code null} for a model that does not draw. */
    default Painter painter() {
        return null;
    }

    /** Frees the model's native memory; no call may be running. */
    @Override
    void close();

    /** A text or understanding pipeline answering a conversation. */
    interface Chat {

        /** Whether messages may carry images ({@code task: understanding}). */
        boolean acceptsImages();

        /** The pipeline's {@code generation:} settings, which a request's fields override. */
        DecodingSettings defaults();

        /**
         * The assistant's next message.
         *
         * @param cancelled polled after each token; when true the reply ends as {@code CANCELLED}. A
         *     text model that batches its decoding polls it from its decoding thread: it must be
         *     safe to read from another thread
         */
        DecodeResult complete(List<Message> conversation, DecodingSettings settings, TextStreamer streamer,
                BooleanSupplier cancelled);
    }

    /** A retrieval pipeline's two towers: L2-normalised embeddings in one space. */
    interface Embedder {

        /** The width of every embedding. */
        int dimensions();

        /** Tokens {@code text} counts (the tokenizer's, start and end tokens included), for {@code usage}. */
        int tokens(String text);

        float[] text(String text);

        float[] image(RgbImage image);
    }

    /** A generation pipeline: prompt (and, for image to image, a starting picture) to PNG files. */
    interface Painter {

        /** A request's LoRA: a name in the server's {@code loras:} folder and its multiplier. */
        record Lora(String name, double scale) {}

        /** A request's ControlNet: a name in the server's {@code controlnets:} folder, its image and scale. */
        record Control(String name, RgbImage image, double scale) {}

        /** Sees each per-request LoRA or ControlNet the model found loaded ({@code hit}) or had to load. */
        interface CacheEvents {
            CacheEvents NONE = (kind, hit) -> {};

            void used(String kind, boolean hit);
        }

        /**
         * A request's LoRAs and ControlNet ({@code null}: none), applied for that request only.
         *
         * <p>Errors name the request fields: {@code loras[i].name}, {@code controlnet.name}.
         */
        record Adapters(List<Lora> loras, Control controlnet, CacheEvents events) {
            public static final Adapters NONE = new Adapters(List.of(), null, CacheEvents.NONE);

            public Adapters {
                loras = List.copyOf(loras);
            }
        }

        /** Names a request may give in {@code loras}, sorted (empty when the server has no folder). */
        default List<String> loras() {
            return List.of();
        }

        /** Names a request may give in {@code controlnet}, sorted. */
        default List<String> controlnets() {
            return List.of();
        }

        /** The pipeline's {@code diffusion:} settings, which a request's fields override. */
        DiffusionSettings defaults();

        /** Width and height the pipeline draws when a request names no size. */
        int[] nativeSize();

        /**
         * The images of one request as PNG files (with the generation parameters in their
         * {@code parameters} chunk, as {@code mix generate} writes them); image {@code i} uses seed
         * {@code settings.seed() + i}.
         *
         * @param init image to image: the picture to start from, or {@code null}
         * @param settings the pipeline's settings with the request's over them
         * @param adapters the request's LoRAs and ControlNet, or {@link Adapters#NONE}
         * @param progress sees each denoising step; it may throw to stop the run (a client that left)
         * @throws ApiError 400 naming the field for a LoRA or ControlNet name the server does not have
         */
        List<byte[]> paint(String prompt, RgbImage init, DiffusionSettings settings, Adapters adapters,
                ProgressListener progress);
    }
}
