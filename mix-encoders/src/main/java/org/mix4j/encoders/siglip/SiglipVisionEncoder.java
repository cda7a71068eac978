package org.mix4j.encoders.siglip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
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
import org.mix4j.encoders.layers.Mlp;
import org.mix4j.encoders.layers.PatchEmbedding;
import org.mix4j.nn.LayerNorm;
import org.mix4j.nn.Linear;
import org.mix4j.nn.Scopes;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.weights.Weights;

/**
 * SigLIP's vision tower (Zhai et al. 2023, "Sigmoid Loss for Language Image Pre-Training"),
 * following transformers' {@code SiglipVisionModel}: patch embedding with bias, learned positions
 * (no CLS token), pre-norm encoder layers, {@code post_layernorm} on every token
 * ({@code last_hidden_state}), and the multi-head attention-pooling head ({@code pooler_output}).
 *
 * <p>Tensor names are relative to the weights prefix: {@code vision_model.*}.
 *
 * <p>Trainable: the tensors by checkpoint name; each layer's {@code q_proj}/{@code k_proj}/{@code v_proj},
 * fused at load, as one {@code self_attn.qkv_proj} (its rows are the three, see SelfAttention; each
 * is also a projection LoRA can adapt). The head's {@code probe} and {@code attention.in_proj_*}
 * (folded into the probe's query and a key/value matrix) are not listed and do not train.
 */
public final class SiglipVisionEncoder implements VisionEncoder, Trainable {

    private final SiglipVisionConfig config;
    private final NDManager manager;
    private final DataType dtype;
    private final PatchEmbedding patchEmbedding;
    private final NDArray positionEmbedding; // [N, D]
    private final List<EncoderLayer> layers = new ArrayList<>();
    private final LayerNorm postLayernorm;
    private final Head head; // null without vision_use_head

    public SiglipVisionEncoder(SiglipVisionConfig config, Weights weights, NDManager manager, DataType dtype,
            TensorParallel parallel) {
        this.config = config;
        this.manager = manager;
        this.dtype = dtype;
        int d = config.hiddenSize();
        double eps = config.layerNormEps();
        this.patchEmbedding = new PatchEmbedding(weights, "vision_model.embeddings.patch_embedding",
                config.numChannels(), d, config.patchSize(), true, parallel);
        this.positionEmbedding = weights.get("vision_model.embeddings.position_embedding.weight",
                new Shape(config.numPatches(), d));
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            layers.add(new EncoderLayer(weights, "vision_model.encoder.layers." + i + ".", d, config.intermediateSize(),
                    config.numAttentionHeads(), eps, config.hiddenAct(), parallel));
        }
        this.postLayernorm = LayerNorm.load(weights, "vision_model.post_layernorm", d, eps);
        this.head = config.visionUseHead() ? new Head(weights, "vision_model.head.", config, parallel) : null;
    }

    /**
     * {@code SiglipMultiheadAttentionPoolingHead}: a learned probe attends over all tokens through
     * {@code torch.nn.MultiheadAttention} ({@code in_proj_weight [3D, D]}, {@code in_proj_bias},
     * {@code out_proj}), then a residual MLP behind {@code layernorm}. The probe does not depend on
     * the input, so its scaled query projection is computed once at load.
     */
    static final class Head {
        private final int numHeads;
        private final int headDim;
        private final NDArray probeQueryT; // [1, H, Dh, 1]: the probe's query, scaled, transposed
        private final Linear keyValue; // in_proj rows D..3D: [D, 2D]
        private final Linear outProj;
        private final LayerNorm layernorm;
        private final Mlp mlp;

        Head(Weights weights, String prefix, SiglipVisionConfig config, TensorParallel parallel) {
            int d = config.hiddenSize();
            this.numHeads = config.numAttentionHeads();
            this.headDim = d / numHeads;
            NDArray probe = weights.get(prefix + "probe", new Shape(1, 1, d));
            NDArray inWeight = weights.get(prefix + "attention.in_proj_weight", new Shape(3L * d, d));
            NDArray inBias = weights.get(prefix + "attention.in_proj_bias", new Shape(3L * d));
            NDList w = inWeight.split(3, 0); // q, k, v: [D, D] each
            NDList b = inBias.split(3, 0);
            try (NDManager load = probe.getManager().newSubManager()) {
                NDList loadOnly = new NDList(probe, inWeight, inBias);
                loadOnly.addAll(w);
                loadOnly.addAll(b);
                loadOnly.attach(load); // freed once the fused tensors are made
                NDArray query = probe.reshape(1, d).matMul(w.get(0).transpose()).add(b.get(0)) // [1, D]
                        .mul(1.0 / Math.sqrt(headDim));
                this.probeQueryT = query.reshape(1, numHeads, headDim, 1); // [1, H, Dh, 1]
                NDArray kvWeight = NDArrays.concat(new NDList(w.get(1), w.get(2)), 0); // [2D, D]
                NDArray kvBias = NDArrays.concat(new NDList(b.get(1), b.get(2)), 0); // [2D]
                NDList kept = new NDList(probeQueryT, kvWeight, kvBias);
                kept.attach(load.getParentManager());
                this.keyValue = Linear.of(kvWeight, kvBias, parallel);
            }
            this.outProj = Linear.load(weights, prefix + "attention.out_proj", d, d, true, parallel);
            this.layernorm = LayerNorm.load(weights, prefix + "layernorm", d, config.layerNormEps());
            this.mlp = new Mlp(weights, prefix + "mlp.", d, config.intermediateSize(), config.hiddenAct(), parallel);
        }

        /** {@code [B, N, D]} to {@code [B, D]}. */
        NDArray forward(NDArray hidden) {
            return Scopes.child(hidden, x -> {
                long batch = x.getShape().get(0);
                long tokens = x.getShape().get(1);
                NDArray kv = keyValue.forward(x) // [B, N, 2D]
                        .reshape(batch, tokens, 2, numHeads, headDim) // [B, N, 2, H, Dh]
                        .transpose(2, 0, 3, 1, 4); // [2, B, H, N, Dh]
                NDArray keys = kv.get(0);
                NDArray values = kv.get(1);
                // keys @ q^T rather than q @ keys^T keeps the activation on the left (and in this scope)
                NDArray scores = keys.matMul(probeQueryT).swapAxes(2, 3); // [B, H, 1, N]
                NDArray attended = scores.softmax(-1).matMul(values) // [B, H, 1, Dh]
                        .reshape(batch, 1, (long) numHeads * headDim); // [B, 1, D]
                NDArray pooled = outProj.forward(attended);
                pooled = pooled.add(mlp.forward(layernorm.forward(pooled)));
                return pooled.get(new NDIndex(":, 0, :")); // [B, D]
            });
        }

        void parameters(String prefix, Map<String, NDArray> out) {
            outProj.parameters(prefix + "attention.out_proj", out);
            layernorm.parameters(prefix + "layernorm", out);
            mlp.parameters(prefix + "mlp.", out);
        }

        void projections(String prefix, Map<String, Projection> out) {
            out.put(prefix + "attention.out_proj", outProj.whole());
            mlp.projections(prefix + "mlp.", out);
        }
    }

    @Override
    public EncoderOutput encode(NDArray pixelValues) {
        checkInput(pixelValues.getShape());
        NDManager caller = pixelValues.getManager();
        int selected = FeatureLayer.resolve(config.featureLayer(), config.numHiddenLayers());
        try (NDManager scope = caller.newSubManager()) {
            pixelValues.tempAttach(scope);
            NDArray hidden = patchEmbedding.forward(pixelValues.toType(dtype, false)).add(positionEmbedding); // [B, N, D]
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
            NDArray last = postLayernorm.forward(hidden); // [B, N, D]
            NDArray pooled = head == null ? null : head.forward(last); // [B, D]
            NDArray features = feature.get(new NDIndex(":, :, :")); // no CLS: patch == full
            for (NDArray a : new NDArray[] {last, pooled, features}) {
                if (a != null) {
                    a.attach(caller);
                }
            }
            return new EncoderOutput(last, pooled, null, features, grid(config.imageSize(), config.imageSize()));
        }
    }

    private void checkInput(Shape s) {
        if (s.dimension() != 4 || s.get(1) != config.numChannels() || s.get(2) != config.imageSize()
                || s.get(3) != config.imageSize()) {
            throw new IllegalArgumentException("siglip_vision expects pixel values [B, " + config.numChannels() + ", "
                    + config.imageSize() + ", " + config.imageSize() + "] (num_channels, image_size), got " + s);
        }
    }

    @Override
    public Map<String, NDArray> parameters() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        patchEmbedding.parameters("vision_model.embeddings.patch_embedding", out);
        out.put("vision_model.embeddings.position_embedding.weight", positionEmbedding);
        for (int i = 0; i < layers.size(); i++) {
            layers.get(i).parameters("vision_model.encoder.layers." + i + ".", out);
        }
        postLayernorm.parameters("vision_model.post_layernorm", out);
        if (head != null) {
            head.parameters("vision_model.head.", out);
        }
        return out;
    }

    @Override
    public Map<String, Projection> projections() {
        Map<String, Projection> out = new LinkedHashMap<>();
        for (int i = 0; i < layers.size(); i++) {
            layers.get(i).projections("vision_model.encoder.layers." + i + ".", out);
        }
        if (head != null) {
            head.projections("vision_model.head.", out);
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
            throw new IllegalArgumentException("siglip_vision encodes " + config.imageSize() + "x" + config.imageSize()
                    + " inputs (image_size), not " + height + "x" + width);
        }
        return new TokenGrid(config.gridSize(), config.gridSize(), 0);
    }

    @Override
    public int imageSize() {
        return config.imageSize();
    }

    public SiglipVisionConfig config() {
        return config;
    }

    @Override
    public void close() {
        manager.close();
    }
}
