package org.mix4j.serve;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.mix4j.api.RgbImage;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.config.ConfigException;
import org.mix4j.config.ConfigOverrides;
import org.mix4j.pipelines.decoding.DecodeResult;
import org.mix4j.pipelines.decoding.DecodeScheduler;
import org.mix4j.pipelines.decoding.TextStreamer;
import org.mix4j.pipelines.generation.GenerationComponents;
import org.mix4j.pipelines.retrieval.RetrievalPipeline;
import org.mix4j.pipelines.task.DecodingSettings;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.pipelines.task.Presets;
import org.mix4j.pipelines.task.Tasks;
import org.mix4j.pipelines.text.TextPipeline;
import org.mix4j.pipelines.understanding.PromptBuilder;
import org.mix4j.pipelines.understanding.UnderstandingPipeline;

/**
 * Loads the models of a {@link ServeConfig} as pipelines (text, understanding, retrieval or
 * generation): a {@code pipeline:} YAML as
 * {@code mix run} reads it, a {@code model:} folder through its preset as {@code mix run --model}.
 * Each model gets its own manager under the server's, so closing it frees exactly its tensors.
 */
public final class PipelineModels implements ModelCache.Loader {

    private final Map<String, ServeConfig.ModelEntry> entries;
    private final ComponentLoader loader;
    private final NDManager parent;
    private final ServeConfig.Limits limits;
    private Path loraFolder;
    private Path controlnetFolder;
    private long adapterCacheBytes = 256L << 20;

    public PipelineModels(Map<String, ServeConfig.ModelEntry> entries, ComponentLoader loader, NDManager parent) {
        this(entries, loader, parent, ServeConfig.Limits.defaults());
    }

    /** The models of {@code config} with its limits and its LoRA and ControlNet folders. */
    public PipelineModels(ServeConfig config, ComponentLoader loader, NDManager parent) {
        this(config.models(), loader, parent, config.limits());
        this.loraFolder = config.loras();
        this.controlnetFolder = config.controlnets();
        this.adapterCacheBytes = config.adapterCacheBytes();
    }

    /** @param limits {@code batch_slots} and {@code batch_context} decide how text models batch their decoding */
    public PipelineModels(Map<String, ServeConfig.ModelEntry> entries, ComponentLoader loader, NDManager parent,
            ServeConfig.Limits limits) {
        this.entries = entries;
        this.loader = loader;
        this.parent = parent;
        this.limits = limits;
    }

    /** The pipeline configuration of a served model (what {@code mix run} would build). */
    public PipelineConfig config(String name) {
        ServeConfig.ModelEntry entry = entries.get(name);
        return entry.pipeline() != null ? PipelineConfig.load(entry.pipeline(), new ConfigOverrides())
                : Presets.config(loader.registry(), entry.model(), new ConfigOverrides());
    }

    @Override
    public String task(String name) {
        return config(name).task();
    }

    @Override
    public ServedModel load(String name) {
        PipelineConfig config = config(name);
        NDManager manager = parent.newSubManager(config.device());
        try {
            if (config.task().equals(Tasks.TEXT.task())) {
                return new Text(TextPipeline.load(config, loader, manager), manager, limits);
            }
            if (config.task().equals(Tasks.UNDERSTANDING.task())) {
                return new Understanding(UnderstandingPipeline.load(config, loader, manager), manager, limits);
            }
            if (config.task().equals(Tasks.RETRIEVAL.task())) {
                return new Retrieval(RetrievalPipeline.load(config, loader, manager), manager);
            }
            if (config.task().equals(Tasks.GENERATION.task())) {
                return new GenerationModel(config, GenerationComponents.load(config, loader, manager), manager,
                        new GenerationModel.Sources(loader, loraFolder, controlnetFolder, adapterCacheBytes));
            }
            throw new ConfigException(config.root().keyOrigin("task"), "task", "mix serve serves task: text, "
                    + "understanding, retrieval or generation pipelines, not '" + config.task() + "'",
                    List.of("text", "understanding", "retrieval", "generation"));
        } catch (RuntimeException | Error e) {
            manager.close();
            throw e;
        }
    }

    /**
     * Bytes of every array the model's manager holds (its sub-managers included) right after loading:
     * the weights and any tables the components built, as allocated, in their dtype. The tokenizer's
     * own native memory is not counted.
     */
    static long residentBytes(NDManager manager) {
        long sum = 0;
        for (NDArray a : manager.getManagedArrays()) {
            sum += a.getShape().size() * a.getDataType().getNumOfBytes();
        }
        return sum;
    }

    /** What a text model's decode scheduler did so far, or {@code null} when it decodes each request alone. */
    static DecodeScheduler.Stats batchStats(ServedModel model) {
        return model instanceof Decoding d && d.scheduler != null ? d.scheduler.stats() : null;
    }

    /** A loaded pipeline, its manager and the bytes it holds. */
    abstract static class Loaded implements ServedModel {
        private final String task;
        private final AutoCloseable pipeline;
        private final NDManager manager;
        private final long bytes;

        Loaded(String task, AutoCloseable pipeline, NDManager manager) {
            this.task = task;
            this.pipeline = pipeline;
            this.manager = manager;
            this.bytes = residentBytes(manager);
        }

        @Override
        public String task() {
            return task;
        }

        /** The manager the model was loaded into. */
        NDManager manager() {
            return manager;
        }

        @Override
        public long bytes() {
            return bytes;
        }

        @Override
        public void close() {
            try {
                pipeline.close();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException("closing the pipeline: " + e.getMessage(), e);
            } finally {
                manager.close();
            }
        }
    }

    /**
     * A model that decodes: with {@code batch_slots} over 1 (and a cache that can be filled by rows)
     * its requests share decode steps through one {@link DecodeScheduler}, whose batched cache counts
     * in its size at its largest (it exists only while decoding).
     */
    private abstract static class Decoding extends Loaded {
        final DecodeScheduler scheduler;

        Decoding(String task, AutoCloseable pipeline, NDManager manager, org.mix4j.api.LanguageModel llm,
                org.mix4j.api.Tokenizer tokenizer, ServeConfig.Limits limits) {
            super(task, pipeline, manager);
            this.scheduler = limits.batchSlots() > 1 && DecodeScheduler.supports(llm, manager)
                    ? new DecodeScheduler(llm, tokenizer, manager, limits.batchSlots(), limits.batchContext())
                    : null;
        }

        @Override
        public long bytes() {
            return super.bytes() + (scheduler == null ? 0 : scheduler.cacheBytes());
        }

        @Override
        public void close() {
            if (scheduler != null) {
                scheduler.close();
            }
            super.close();
        }
    }

    /** A text pipeline. With {@code batch_slots} over 1 its requests decode together ({@link DecodeScheduler}). */
    private static final class Text extends Decoding implements ServedModel.Chat {
        private final TextPipeline pipeline;

        Text(TextPipeline pipeline, NDManager manager, ServeConfig.Limits limits) {
            super(Tasks.TEXT.task(), pipeline, manager, pipeline.llm(), pipeline.tokenizer(), limits);
            this.pipeline = pipeline;
        }

        @Override
        public Chat chat() {
            return this;
        }

        @Override
        public boolean acceptsImages() {
            return false;
        }

        @Override
        public DecodingSettings defaults() {
            return pipeline.settings();
        }

        @Override
        public DecodeResult complete(List<Message> conversation, DecodingSettings settings, TextStreamer streamer,
                BooleanSupplier cancelled) {
            List<Map<String, Object>> messages = new ArrayList<>();
            for (Message m : conversation) {
                Map<String, Object> map = new LinkedHashMap<>();
                map.put("role", m.role());
                map.put("content", m.text());
                messages.add(map);
            }
            return scheduler == null ? pipeline.complete(messages, settings, streamer, cancelled)
                    : scheduler.generate(pipeline.encodePrompt(messages), settings, streamer, cancelled);
        }
    }

    /**
     * An understanding pipeline. With {@code batch_slots} over 1 its requests decode together: each
     * request's images are encoded on its own thread, the decode steps are shared.
     */
    private static final class Understanding extends Decoding implements ServedModel.Chat {
        private final UnderstandingPipeline pipeline;

        Understanding(UnderstandingPipeline pipeline, NDManager manager, ServeConfig.Limits limits) {
            super(Tasks.UNDERSTANDING.task(), pipeline, manager, pipeline.llm(), pipeline.tokenizer(), limits);
            this.pipeline = pipeline;
        }

        @Override
        public Chat chat() {
            return this;
        }

        @Override
        public boolean acceptsImages() {
            return true;
        }

        @Override
        public DecodingSettings defaults() {
            return pipeline.generation();
        }

        @Override
        public DecodeResult complete(List<Message> conversation, DecodingSettings settings, TextStreamer streamer,
                BooleanSupplier cancelled) {
            String system = null;
            List<PromptBuilder.Message> messages = new ArrayList<>();
            List<RgbImage> images = new ArrayList<>();
            for (Message m : conversation) {
                if (m.role().equals("system")) {
                    system = system == null ? m.text() : system + "\n" + m.text();
                } else {
                    messages.add(new PromptBuilder.Message(m.role(), m.text(), m.images().size()));
                    images.addAll(m.images());
                }
            }
            return pipeline.complete(messages, system, images, settings, streamer, cancelled, scheduler).result();
        }
    }

    private static final class Retrieval extends Loaded implements ServedModel.Embedder {
        private final RetrievalPipeline pipeline;

        Retrieval(RetrievalPipeline pipeline, NDManager manager) {
            super(Tasks.RETRIEVAL.task(), pipeline, preload(pipeline, manager));
            this.pipeline = pipeline;
        }

        /** Loads the lazily loaded text side too, so that the byte count holds both towers. */
        private static NDManager preload(RetrievalPipeline pipeline, NDManager manager) {
            pipeline.textEncoder();
            pipeline.tokenizer();
            return manager;
        }

        @Override
        public Embedder embedder() {
            return this;
        }

        @Override
        public int dimensions() {
            return pipeline.dim();
        }

        @Override
        public int tokens(String text) {
            return Math.min(pipeline.tokenizer().encode(text).length, pipeline.textEncoder().maxPositions());
        }

        @Override
        public float[] text(String text) {
            return pipeline.embedText(text);
        }

        @Override
        public float[] image(RgbImage image) {
            return pipeline.embedImages(List.of(image))[0];
        }
    }
}
