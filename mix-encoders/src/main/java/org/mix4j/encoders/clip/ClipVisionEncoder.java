package org.mix4j.encoders.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mix4j.api.EncoderOutput;
import org.mix4j.api.TokenGrid;
import org.mix4j.api.Trainable;
import org.mix4j.api.VisionEncoder;
import org.mix4j.encoders.layers.EncoderLayer;
import org.mix4j.encoders.layers.FeatureLayer;
import org.mix4j.encoders.layers.FeatureSelect;
import org.mix4j.encoders.layers.PatchEmbedding;
import org.mix4j.nn.LayerNorm;
import org.mix4j.nn.Linear;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.weights.Weights;

/**
 * CLIP's vision tower (Radford et al. 2021, "Learning Transferable Visual Models From Natural
 * Language Supervision"), following transformers' {@code CLIPVisionModelWithProjection}: patch
 * embedding without bias, CLS token, learned positions, {@code pre_layrnorm}, pre-norm encoder
 * layers, {@code post_layernorm} on the CLS token only ({@code pooler_output}), and the optional
 * {@code visual_projection} ({@code image_embeds}). As there, {@code last_hidden_state} is the last
 * layer's output without the post-layernorm.
 *
 * <p>Tensor names are relative to the weights prefix: {@code vision_model.*} and
 * {@code visual_projection.weight}; in LLaVA the prefix is {@code vision_tower.}.
 *
 * <p>Trainable: the tensors by checkpoint name, except each layer's {@code q_proj}/{@code k_proj}/
 * {@code v_proj}, which are fused into one matrix at load and listed as {@code self_attn.qkv_proj}
 * (its rows are the three; each is also a projection LoRA can adapt).
 */
public final class ClipVisionEncoder implements VisionEncoder, Trainable {

    private final ClipVisionConfig config;
    private final NDManager manager;
    private final DataType dtype;
    private final Embeddings embeddings;
    private final LayerNorm preLayrnorm;
    private final List<EncoderLayer> layers = new ArrayList<>();
    private final LayerNorm postLayernorm;
    private final Linear visualProjection; // null when the checkpoint has none

    public ClipVisionEncoder(ClipVisionConfig config, Weights weights, NDManager manager, DataType dtype,
            TensorParallel parallel) {
        this.config = config;
        this.manager = manager;
        this.dtype = dtype;
        int d = config.hiddenSize();
        double eps = config.layerNormEps();
        this.embeddings = new Embeddings(weights, config, parallel);
        this.preLayrnorm = LayerNorm.load(weights, "vision_model.pre_layrnorm", d, eps);
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            layers.add(new EncoderLayer(weights, "vision_model.encoder.layers." + i + ".", d, config.intermediateSize(),
                    config.numAttentionHeads(), eps, config.hiddenAct(), parallel));
        }
        this.postLayernorm = LayerNorm.load(weights, "vision_model.post_layernorm", d, eps);
        this.visualProjection = weights.contains("visual_projection.weight")
                ? Linear.load(weights, "visual_projection", d, config.projectionDim(), false, parallel)
                : null;
    }

    /** CLS token, patch embedding and learned positions. */
    static final class Embeddings {
        private final NDArray classEmbedding; // [D]
        private final PatchEmbedding patchEmbedding;
        private final NDArray positionEmbedding; // [N + 1, D]

        Embeddings(Weights weights, ClipVisionConfig config, TensorParallel parallel) {
            int d = config.hiddenSize();
            this.classEmbedding = weights.get("vision_model.embeddings.class_embedding", new Shape(d));
            this.patchEmbedding = new PatchEmbedding(weights, "vision_model.embeddings.patch_embedding",
                    config.numChannels(), d, config.patchSize(), false, parallel);
            this.positionEmbedding = weights.get("vision_model.embeddings.position_embedding.weight",
                    new Shape(config.numPositions(), d));
        }

        /** {@code [B, C, H, W]} to {@code [B, N + 1, D]}, CLS first. */
        NDArray forward(NDArray pixels, NDManager scope) {
            NDArray patches = patchEmbedding.forward(pixels); // [B, N, D]
            Shape s = patches.getShape();
            NDArray cls = scope.zeros(new Shape(s.get(0), 1, s.get(2)), patches.getDataType()).add(classEmbedding);
            return cls.concat(patches, 1).add(positionEmbedding); // [B, N + 1, D]
        }
    }

    @Override
    public EncoderOutput encode(NDArray pixelValues) {
        checkInput(pixelValues.getShape());
        NDManager caller = pixelValues.getManager();
        int selected = FeatureLayer.resolve(config.featureLayer(), config.numHiddenLayers());
        try (NDManager scope = caller.newSubManager()) {
            pixelValues.tempAttach(scope);
            NDArray hidden = preLayrnorm.forward(embeddings.forward(pixelValues.toType(dtype, false), scope));
            NDArray feature = hidden; // hidden_states[0]
            for (int i = 0; i < layers.size(); i++) {
                NDArray next = layers.get(i).forward(hidden, null);
                if (hidden != feature) {
                    hidden.close();
                }
                hidden = next;
                if (i + 1 == selected) {
                    feature = hidden;
                }
            }
            NDArray pooled = postLayernorm.forward(hidden.get(new NDIndex(":, 0, :"))); // [B, D]
            NDArray embeds = visualProjection == null ? null : visualProjection.forward(pooled); // [B, P]
            NDArray features = config.select() == FeatureSelect.PATCH
                    ? feature.get(new NDIndex(":, 1:, :")) // [B, N, D]
                    : feature.get(new NDIndex(":, :, :")); // [B, N + 1, D]
            EncoderOutput out = new EncoderOutput(hidden, pooled, embeds, features, grid(config.imageSize(),
                    config.imageSize()));
            for (NDArray a : new NDArray[] {hidden, pooled, embeds, features}) {
                if (a != null) {
                    a.attach(caller);
                }
            }
            return out;
        }
    }

    private void checkInput(Shape s) {
        if (s.dimension() != 4 || s.get(1) != config.numChannels() || s.get(2) != config.imageSize()
                || s.get(3) != config.imageSize()) {
            throw new IllegalArgumentException("clip_vision expects pixel values [B, " + config.numChannels() + ", "
                    + config.imageSize() + ", " + config.imageSize() + "] (num_channels, image_size), got " + s);
        }
    }

    @Override
    public Map<String, NDArray> parameters() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        out.put("vision_model.embeddings.class_embedding", embeddings.classEmbedding);
        embeddings.patchEmbedding.parameters("vision_model.embeddings.patch_embedding", out);
        out.put("vision_model.embeddings.position_embedding.weight", embeddings.positionEmbedding);
        preLayrnorm.parameters("vision_model.pre_layrnorm", out);
        for (int i = 0; i < layers.size(); i++) {
            layers.get(i).parameters("vision_model.encoder.layers." + i + ".", out);
        }
        postLayernorm.parameters("vision_model.post_layernorm", out);
        if (visualProjection != null) {
            visualProjection.parameters("visual_projection", out);
        }
        return out;
    }

    @Override
    public Map<String, Projection> projections() {
        Map<String, Projection> out = new LinkedHashMap<>();
        for (int i = 0; i < layers.size(); i++) {
            layers.get(i).projections("vision_model.encoder.layers." + i + ".", out);
        }
        if (visualProjection != null) {
            out.put("visual_projection", visualProjection.whole());
        }
        return out;
    }

    @Override
    public int hiddenSize() {
        return config.hiddenSize();
    }

    @Override
    public TokenGrid grid(int height, int width) {
        if (height != config.imageSize() || width != config.imageSize()) {
            throw new IllegalArgumentException("clip_vision encodes " + config.imageSize() + "x" + config.imageSize()
                    + " inputs (image_size), not " + height + "x" + width);
        }
        int prefix = config.select() == FeatureSelect.FULL ? 1 : 0;
        return new TokenGrid(config.gridSize(), config.gridSize(), prefix);
    }

    @Override
    public int imageSize() {
        return config.imageSize();
    }

    public ClipVisionConfig config() {
        return config;
    }

    /** Whether the checkpoint had {@code visual_projection}, i.e. {@code embeds} is produced. */
    public boolean hasProjection() {
        return visualProjection != null;
    }

    @Override
    public void close() {
        manager.close();
    }
}
