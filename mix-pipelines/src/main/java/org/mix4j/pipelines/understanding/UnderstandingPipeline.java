package org.mix4j.pipelines.understanding;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.mix4j.api.Component;
import org.mix4j.api.Connector;
import org.mix4j.api.ImageProcessor;
import org.mix4j.api.LanguageModel;
import org.mix4j.api.RgbImage;
import org.mix4j.api.Role;
import org.mix4j.api.Tiler;
import org.mix4j.api.Tokenizer;
import org.mix4j.api.VisionEncoder;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.compose.ComponentSpec;
import org.mix4j.config.ConfigException;
import org.mix4j.config.JsonConfig;
import org.mix4j.pipelines.chat.ChatSession;
import org.mix4j.pipelines.decoding.DecodeResult;
import org.mix4j.pipelines.decoding.DecodingDefaults;
import org.mix4j.pipelines.decoding.DecodeScheduler;
import org.mix4j.pipelines.decoding.DecodingLoop;
import org.mix4j.pipelines.decoding.TextStreamer;
import org.mix4j.pipelines.task.DecodingSettings;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.pipelines.task.UnderstandingSettings;
import org.mix4j.tiling.NoTiler;

/**
 * {@code task: understanding}: images and a prompt in, text out. Built from YAML through the
 * registry, so any vision encoder, connector and language model compose:
 * <ol>
 *   <li>write the prompt with one placeholder per image (chat template or {@code prompt_template});
 *   <li>tile, preprocess, encode (batched) and project the images ({@link VisionStack});
 *   <li>expand each placeholder to as many tokens as its image has features, and check the context;
 *   <li>splice the features into the input embeddings ({@link ImageSplice});
 *   <li>generate, streaming text ({@link DecodingLoop}).
 * </ol>
 *
 * <p>Thread safety: {@link #answer} may be called from several threads at once; each call has its
 * own KV cache, sampler and child manager, and returns its own {@link Stats} ({@link #answerWithStats}).
 * The models are only read. A {@link ChatSession} from {@link #chat} is one conversation and is not
 * thread-safe itself; several sessions may run at once.
 */
public final class UnderstandingPipeline implements AutoCloseable {

    /** One prompt about some images. */
    public record Request(List<RgbImage> images, String prompt) {}

    /** Where the time went, in nanoseconds, and how many tokens. */
    public record Stats(long loadNanos, long visionNanos, int imageTokens, int promptTokens) {}

    /** One call's answers with its own timings (no state kept on the pipeline, so threads do not mix them). */
    public record Answer(DecodeResult result, Stats stats) {}

    private final VisionStack vision;
    private final LanguageModel llm;
    private final Tokenizer tokenizer;
    private final long imageTokenId;
    private final PromptBuilder prompts;
    private final DecodingSettings generation;
    private final NDManager manager;
    private final List<Object> owned;
    private final Map<String, Object> components = new java.util.LinkedHashMap<>();
    private final long loadNanos;

    public UnderstandingPipeline(VisionStack vision, LanguageModel llm, Tokenizer tokenizer, long imageTokenId,
            PromptBuilder prompts, DecodingSettings generation, NDManager manager, List<Object> owned, long loadNanos) {
        this.vision = vision;
        this.llm = llm;
        this.tokenizer = tokenizer;
        this.imageTokenId = imageTokenId;
        this.prompts = prompts;
        this.generation = generation;
        this.manager = manager;
        this.owned = owned;
        this.loadNanos = loadNanos;
    }

    /** Loads every component of {@code config}; the pipeline owns a child of {@code parent}. */
    public static UnderstandingPipeline load(PipelineConfig config, ComponentLoader loader, NDManager parent) {
        long start = System.nanoTime();
        NDManager manager = parent.newSubManager();
        List<Object> owned = new ArrayList<>();
        Map<String, Object> bySlot = new java.util.LinkedHashMap<>();
        try {
            Path ckpt = config.checkpoint();
            UnderstandingSettings s = config.settings(UnderstandingSettings.class);
            ImageProcessor processor = part(config, "image_processor", Role.IMAGE_PROCESSOR, loader, manager, owned,
                    "hf_image_processor", bySlot);
            Tiler tiler = config.component("tiling") == null ? new NoTiler()
                    : part(config, "tiling", Role.TILER, loader, manager, owned, null, bySlot);
            VisionEncoder encoder = part(config, "encoder", Role.VISION_ENCODER, loader, manager, owned, null, bySlot);
            VisionEncoder hires = config.component("encoder_hires") == null ? null
                    : part(config, "encoder_hires", Role.VISION_ENCODER, loader, manager, owned, null, bySlot);
            ImageProcessor hiresProcessor = hires == null ? null : part(config, "image_processor_hires",
                    Role.IMAGE_PROCESSOR, loader, manager, owned, "hf_image_processor", bySlot);
            Connector connector = part(config, "connector", Role.CONNECTOR, loader, manager, owned, null, bySlot);
            LanguageModel llm = part(config, "llm", Role.LANGUAGE_MODEL, loader, manager, owned, null, bySlot);
            Tokenizer tokenizer = part(config, "tokenizer", Role.TOKENIZER, loader, manager, owned, null, bySlot);
            tiler.newline().ifPresent(n -> checkNewline(n, llm.hiddenSize(), config));
            VisionStack stack = new VisionStack(processor, tiler, encoder, hiresProcessor, hires, connector,
                    s.encoderBatchSize());
            long imageToken = imageTokenId(s, config, tokenizer);
            DecodingSettings generation = DecodingDefaults.bind(config.section("generation"), ckpt, tokenizer,
                    llm.vocabSize());
            UnderstandingPipeline pipeline = new UnderstandingPipeline(stack, llm, tokenizer, imageToken,
                    new PromptBuilder(s.promptTemplate(), s.systemPrompt(), s.imageToken(),
                            config.root().keyOrigin("prompt_template")), generation, manager, owned,
                    System.nanoTime() - start);
            pipeline.components.putAll(bySlot);
            return pipeline;
        } catch (RuntimeException | Error e) {
            closeAll(owned);
            manager.close();
            throw e;
        }
    }

    /** A component section, or the default type for slots that have one (loaded from the checkpoint). */
    @SuppressWarnings("unchecked")
    private static <T> T part(PipelineConfig config, String slot, Role role, ComponentLoader loader, NDManager manager,
            List<Object> owned, String defaultType, Map<String, Object> bySlot) {
        ComponentSpec spec = config.component(slot);
        if (spec == null) {
            spec = ComponentLoader.spec(defaultType, config.checkpoint(), Map.of());
        }
        T part = loader.load(spec, role, config.checkpoint(), manager, config.dataType());
        owned.add(part);
        bySlot.put(slot, part);
        return part;
    }

    /** The tiler's row separator goes between language-model embeddings, so it has their width. */
    private static void checkNewline(NDArray newline, int hidden, PipelineConfig config) {
        if (newline.getShape().dimension() != 1 || newline.getShape().get(0) != hidden) {
            throw new ConfigException(config.component("tiling").origin(), "tiling", "the tiler's newline tensor is "
                    + newline.getShape() + ", the language model's embeddings are (" + hidden + ")", null);
        }
    }

    private static long imageTokenId(UnderstandingSettings s, PipelineConfig config, Tokenizer tokenizer) {
        Path ckpt = config.checkpoint();
        if (s.imageTokenId() != null) {
            return s.imageTokenId();
        }
        if (ckpt != null && Files.isRegularFile(ckpt.resolve("config.json"))) {
            JsonObject c = JsonConfig.read(ckpt.resolve("config.json"));
            for (String key : List.of("image_token_index", "image_token_id")) {
                if (c.has(key) && c.get(key).isJsonPrimitive()) {
                    return c.get(key).getAsLong();
                }
            }
        }
        return tokenizer.tokenId(s.imageToken()).orElseThrow(() -> new ConfigException(config.root().keyOrigin("image_token"),
                "image_token",
                "the tokenizer has no token '" + s.imageToken() + "'; set image_token or image_token_id", null));
    }

    /** Answers one prompt about some images with the pipeline's generation settings. */
    public DecodeResult answer(List<RgbImage> images, String prompt, TextStreamer streamer) {
        return answer(List.of(new Request(images, prompt)), generation, streamer);
    }

    /** The prompt text the model reads for {@code prompt} about {@code images} images, chat template applied. */
    public String renderPrompt(String prompt, int images) {
        return prompts.build(prompt, images, tokenizer);
    }

    /** Answers several prompts in one batch. */
    public DecodeResult answer(List<Request> requests, DecodingSettings settings, TextStreamer streamer) {
        return answerWithStats(requests, settings, streamer).result();
    }

    /** Answers several prompts in one batch, with where the time went. */
    public Answer answerWithStats(List<Request> requests, DecodingSettings settings, TextStreamer streamer) {
        List<String> texts = new ArrayList<>();
        List<List<RgbImage>> images = new ArrayList<>();
        for (Request r : requests) {
            texts.add(prompts.build(r.prompt(), r.images().size(), tokenizer));
            images.add(r.images());
        }
        return run(texts, images, settings, streamer, () -> false, null);
    }

    /**
     * The next reply in a conversation whose messages may carry images (what a chat-completions
     * request sends), stopping when {@code cancelled} answers true (polled after each token).
     *
     * @param system the system prompt, or {@code null} for the configured one
     * @param images every message's images in order; their counts are the messages' {@code images}
     */
    public Answer complete(List<PromptBuilder.Message> conversation, String system, List<RgbImage> images,
            DecodingSettings settings, TextStreamer streamer, BooleanSupplier cancelled) {
        return complete(conversation, system, images, settings, streamer, cancelled, null);
    }

    /**
     * {@link #complete(List, String, List, DecodingSettings, TextStreamer, BooleanSupplier)} decoding
     * through {@code scheduler}, so that concurrent calls share decode steps (continuous batching): the
     * images are encoded and spliced into the prompt on this thread, the scheduler prefills and decodes.
     *
     * @param scheduler a scheduler of this pipeline's language model ({@link #llm()}), or {@code null}
     *     to decode alone
     */
    public Answer complete(List<PromptBuilder.Message> conversation, String system, List<RgbImage> images,
            DecodingSettings settings, TextStreamer streamer, BooleanSupplier cancelled, DecodeScheduler scheduler) {
        if (scheduler != null && scheduler.model() != llm) {
            throw new IllegalArgumentException("the decode scheduler runs another language model than this pipeline's");
        }
        String text = prompts.build(conversation, system, tokenizer);
        return run(List.of(text), List.of(images), settings, streamer, cancelled, scheduler);
    }

    // one row per prompt text, its images' placeholders expanded to their feature counts
    private Answer run(List<String> texts, List<List<RgbImage>> images, DecodingSettings settings,
            TextStreamer streamer, BooleanSupplier cancelled, DecodeScheduler scheduler) {
        List<long[]> rows = new ArrayList<>();
        List<RgbImage> allImages = new ArrayList<>();
        int imageTokens = 0;
        for (int i = 0; i < texts.size(); i++) {
            int[] counts = images.get(i).stream().mapToInt(img -> vision.tokens(img.width(), img.height())).toArray();
            long[] ids = ImageSplice.expand(tokenizer.encode(texts.get(i)), imageTokenId, counts);
            checkContext(ids.length);
            rows.add(ids);
            allImages.addAll(images.get(i));
            imageTokens += java.util.Arrays.stream(counts).sum();
        }
        try (NDManager scope = manager.newSubManager()) {
            long visionStart = System.nanoTime();
            List<NDArray> features = allImages.isEmpty() ? List.of() : vision.encode(allImages, scope);
            long visionNanos = System.nanoTime() - visionStart;
            List<NDArray> embeds = new ArrayList<>();
            int next = 0;
            for (int i = 0; i < texts.size(); i++) {
                int n = images.get(i).size();
                embeds.add(ImageSplice.embed(llm, rows.get(i), imageTokenId, features.subList(next, next + n), scope));
                next += n;
            }
            long[][] mask = new long[rows.size()][];
            NDArray batch = ImageSplice.leftPad(embeds, mask, scope);
            Stats stats = new Stats(loadNanos, visionNanos, imageTokens, rows.stream().mapToInt(r -> r.length).sum());
            if (scheduler != null && rows.size() == 1) { // one row: left-padding left it as it was
                return new Answer(scheduler.generate(rows.get(0), batch, settings, streamer, cancelled), stats);
            }
            return new Answer(new DecodingLoop(llm, tokenizer, scope).generate(batch, mask, rows, settings, streamer,
                    cancelled), stats);
        }
    }

    // max_new_tokens is capped to the room left by the prompt (DecodingLoop), as for task: text;
    // only a prompt that leaves no room for one token is an error
    private void checkContext(int promptTokens) {
        if (promptTokens + 1 > llm.maxPositions()) {
            throw new IllegalArgumentException("the prompt with its image tokens is " + promptTokens + " tokens; it "
                    + "leaves no room for an answer in the model's context of " + llm.maxPositions()
                    + " positions (use fewer or smaller images, or a tiler with fewer tiles)");
        }
    }

    /**
     * A multi-turn conversation about images: a message may bring images, the KV cache is kept
     * between turns and each image is encoded once.
     *
     * @param context positions the conversation may use (capped at the model's)
     */
    public ChatSession chat(DecodingSettings settings, int context) {
        return new ChatSession(new UnderstandingChat(this, manager), settings, context, manager);
    }

    /** Seconds spent loading the components. */
    public double loadSeconds() {
        return loadNanos / 1e9;
    }

    /** The component loaded for a slot ({@code encoder}, {@code connector}, {@code llm}, ...), or {@code null}. */
    public Object component(String slot) {
        return components.get(slot);
    }

    /** How prompts are written: the chat template or {@code prompt_template}, and the system prompt. */
    public PromptBuilder prompts() {
        return prompts;
    }

    public DecodingSettings generation() {
        return generation;
    }

    public VisionStack vision() {
        return vision;
    }

    public LanguageModel llm() {
        return llm;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public long imageTokenId() {
        return imageTokenId;
    }

    @Override
    public void close() {
        closeAll(owned);
        manager.close();
    }

    private static void closeAll(List<Object> parts) {
        for (Object p : parts) {
            if (p instanceof Component c) {
                c.close();
            } else if (p instanceof AutoCloseable a) {
                try {
                    a.close();
                } catch (Exception ignored) {
                    // closing is best effort; the manager frees the native memory anyway
                }
            }
        }
    }
}
