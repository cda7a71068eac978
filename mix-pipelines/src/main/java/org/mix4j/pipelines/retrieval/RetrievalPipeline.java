package org.mix4j.pipelines.retrieval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.mix4j.api.EncoderOutput;
import org.mix4j.api.ImageProcessor;
import org.mix4j.api.RgbImage;
import org.mix4j.api.Role;
import org.mix4j.api.TextEncoder;
import org.mix4j.api.Tokenizer;
import org.mix4j.api.VisionEncoder;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.compose.ComponentSpec;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.pipelines.task.RetrievalSettings;

/**
 * {@code task: retrieval}: CLIP-style image and text embeddings in one space (Radford et al. 2021,
 * "Learning Transferable Visual Models From Natural Language Supervision"; transformers'
 * {@code CLIPModel.get_image_features} / {@code get_text_features}, then L2 normalisation).
 *
 * <p>The image side (image processor and {@code encoder}) loads at once; the text side
 * ({@code text_encoder}, {@code tokenizer}) on the first text query, so indexing never pays for it.
 * Without an {@code image_processor} section the checkpoint's {@code preprocessor_config.json} is
 * read as {@code hf_image_processor}.
 *
 * <p>Thread safety: the embedding methods may be called from several threads at once; each call
 * works in its own child manager, the encoders are only read, and the lazy loading of the text
 * side is synchronized.
 */
public final class RetrievalPipeline implements ImageEmbedder, AutoCloseable {

    private final PipelineConfig config;
    private final ComponentLoader loader;
    private final NDManager manager;
    private final DataType dtype;
    private final ImageProcessor processor;
    private final VisionEncoder encoder;
    private final ModelFingerprint fingerprint;
    private TextEncoder textEncoder;
    private Tokenizer tokenizer;

    private RetrievalPipeline(PipelineConfig config, ComponentLoader loader, NDManager manager, DataType dtype,
            ImageProcessor processor, VisionEncoder encoder, ModelFingerprint fingerprint) {
        this.config = config;
        this.loader = loader;
        this.manager = manager;
        this.dtype = dtype;
        this.processor = processor;
        this.encoder = encoder;
        this.fingerprint = fingerprint;
    }

    /** Loads the image side of a {@code task: retrieval} pipeline; owns a child of {@code parent}. */
    public static RetrievalPipeline load(PipelineConfig config, ComponentLoader loader, NDManager parent) {
        if (!"retrieval".equals(config.task())) {
            throw new IllegalArgumentException(config.file() + ": task is '" + config.task() + "', expected 'retrieval'");
        }
        DataType dtype = dataType(config.dtype());
        NDManager owned = parent.newSubManager();
        VisionEncoder encoder = null;
        try {
            ComponentSpec processorSpec = processorSpec(config);
            ImageProcessor processor = loader.load(processorSpec, Role.IMAGE_PROCESSOR, config.checkpoint(), owned, dtype);
            ComponentSpec encoderSpec = config.component("encoder");
            encoder = loader.load(encoderSpec, Role.VISION_ENCODER, config.checkpoint(), owned, dtype);
            checkSizes(config, processor, encoder);
            int dim = embeddingDim(encoder, processor, owned, dtype);
            ModelFingerprint fingerprint = ModelHash.fingerprint(config, loader, processorSpec, encoderSpec, dim);
            return new RetrievalPipeline(config, loader, owned, dtype, processor, encoder, fingerprint);
        } catch (RuntimeException | Error e) {
            if (encoder != null) {
                encoder.close();
            }
            owned.close();
            throw e;
        }
    }

    public RetrievalSettings settings() {
        return config.settings(RetrievalSettings.class);
    }

    @Override
    public ModelFingerprint fingerprint() {
        return fingerprint;
    }

    public int dim() {
        return fingerprint.dim();
    }

    public ImageProcessor imageProcessor() {
        return processor;
    }

    /** The image tower ({@code encoder}). */
    public VisionEncoder encoder() {
        return encoder;
    }

    /** L2-normalised image embeddings {@code [B][dim]} (the tower's {@code embeds}). */
    @Override
    public float[][] embedImages(List<RgbImage> images) {
        try (NDManager scope = manager.newSubManager()) {
            return embedPixels(processor.preprocess(images, scope));
        }
    }

    /** L2-normalised image embeddings {@code [B][dim]} of preprocessed {@code pixelValues [B, 3, H, W]}. */
    public float[][] embedPixels(NDArray pixelValues) {
        try (NDManager scope = manager.newSubManager()) {
            pixelValues.tempAttach(scope); // outputs land in the scope; the input goes back to its manager
            NDArray pixels = pixelValues.toType(dtype, false);
            return normalizedRows(require(encoder.encode(pixels), "encoder", "visual_projection.weight"));
        }
    }

    /** L2-normalised embedding of a text query (tokenized, truncated to the text tower's context). */
    public float[] embedText(String text) {
        Tokenizer tok = tokenizer();
        int length = Math.min(tok.encode(text).length, textEncoder().maxPositions());
        Tokenizer.TokenizedBatch batch = tok.encodeBatch(List.of(text), length);
        return embedTokens(batch.ids(), batch.attentionMask())[0];
    }

    /**
     * L2-normalised text embeddings of token ids {@code [B][T]} (with start and end tokens, as the
     * tokenizer writes them) and their attention mask (may be {@code null}).
     */
    public float[][] embedTokens(long[][] ids, long[][] attentionMask) {
        TextEncoder text = textEncoder();
        checkIds(text, ids);
        try (NDManager scope = manager.newSubManager()) {
            NDArray idArray = scope.create(ids);
            NDArray mask = attentionMask == null ? null : scope.create(attentionMask);
            float[][] rows = normalizedRows(require(text.encode(idArray, mask), "text_encoder", "text_projection.weight"));
            if (rows.length > 0 && rows[0].length != dim()) {
                throw new IllegalArgumentException("text_encoder embeddings have width " + rows[0].length
                        + " but the image encoder's have " + dim() + ": the two towers are not one CLIP model");
            }
            return rows;
        }
    }

    /** The text tower, loaded on first use. */
    public synchronized TextEncoder textEncoder() {
        if (textEncoder == null) {
            TextEncoder loaded = loader.load(config.component("text_encoder"), Role.TEXT_ENCODER, config.checkpoint(),
                    manager, dtype);
            textEncoder = loaded;
        }
        return textEncoder;
    }

    /** The tokenizer, loaded on first use. */
    public synchronized Tokenizer tokenizer() {
        if (tokenizer == null) {
            tokenizer = loader.load(config.component("tokenizer"), Role.TOKENIZER, config.checkpoint(), manager, dtype);
        }
        return tokenizer;
    }

    private static ComponentSpec processorSpec(PipelineConfig config) {
        ComponentSpec spec = config.component("image_processor");
        return spec != null ? spec : ComponentLoader.spec("hf_image_processor", config.checkpoint(), Map.of());
    }

    private static void checkSizes(PipelineConfig config, ImageProcessor processor, VisionEncoder encoder) {
        int[] size = processor.outputSize();
        int expected = encoder.imageSize();
        if (size[0] != expected || size[1] != expected) {
            boolean fromFile = config.component("image_processor") == null;
            boolean hasFile = config.checkpoint() != null
                    && Files.isRegularFile(config.checkpoint().resolve("preprocessor_config.json"));
            throw new IllegalArgumentException(config.file() + ": the image processor makes " + size[0] + "x" + size[1]
                    + " images but the encoder expects " + expected + "x" + expected
                    + (fromFile && !hasFile ? " (the checkpoint has no preprocessor_config.json, so defaults were used)"
                            : "")
                    + "; set e.g. 'image_processor: {type: hf_image_processor, size: {shortest_edge: " + expected
                    + "}, crop_size: " + expected + "}'");
        }
    }

    /** The width of {@code embeds}: one encode of a blank image (cheap next to loading the tower). */
    private static int embeddingDim(VisionEncoder encoder, ImageProcessor processor, NDManager owned, DataType dtype) {
        int[] size = processor.outputSize();
        try (NDManager scope = owned.newSubManager()) {
            NDArray blank = scope.zeros(new Shape(1, 3, size[0], size[1]), dtype);
            NDArray embeds = require(encoder.encode(blank), "encoder", "visual_projection.weight");
            return (int) embeds.getShape().get(1);
        }
    }

    static void checkIds(TextEncoder text, long[][] ids) {
        int vocab = text.vocabSize().orElse(Integer.MAX_VALUE);
        for (long[] row : ids) {
            if (row.length > text.maxPositions()) {
                throw new IllegalArgumentException(row.length + " tokens exceed the text encoder's "
                        + text.maxPositions() + " positions");
            }
            for (long id : row) {
                if (id < 0 || id >= vocab) {
                    throw new IllegalArgumentException("token id " + id + " is outside the text encoder's vocabulary "
                            + "(vocab_size " + vocab + "): the tokenizer does not belong to this checkpoint");
                }
            }
        }
    }

    private static NDArray require(EncoderOutput out, String slot, String tensor) {
        if (out.embeds() == null) {
            throw new IllegalArgumentException(slot + ": the checkpoint has no '" + tensor + "', so there is no "
                    + "embedding to search with; use a CLIPModel or *WithProjection checkpoint");
        }
        return out.embeds();
    }

    private static float[][] normalizedRows(NDArray embeds) {
        int rows = (int) embeds.getShape().get(0);
        int width = (int) embeds.getShape().get(1);
        float[] flat = embeds.toType(DataType.FLOAT32, false).toFloatArray();
        float[][] out = new float[rows][];
        for (int r = 0; r < rows; r++) {
            out[r] = EmbeddingIndex.normalized(java.util.Arrays.copyOfRange(flat, r * width, (r + 1) * width));
        }
        return out;
    }

    private static DataType dataType(String name) {
        return org.mix4j.tensor.ComputeTypes.parse(name);
    }

    @Override
    public synchronized void close() {
        encoder.close();
        if (textEncoder != null) {
            textEncoder.close();
        }
        if (tokenizer instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception ignored) {
                // nothing a caller could do about a tokenizer that fails to close
            }
        }
        manager.close();
    }
}
