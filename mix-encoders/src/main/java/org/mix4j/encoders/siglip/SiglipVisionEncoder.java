package org.mix4j.encoders.siglip;

import ai.djl.ndarray.NDArray;
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
import org.mix4j.nn.Autograd;
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
 * <p>Trainable: every tensor by checkpoint name: each layer's {@code q_proj}/{@code k_proj}/
 * {@code v_proj} as views of the fused matrix (still projections LoRA can adapt), and the head's
 * {@code probe} and {@code attention.in_proj_*} as stored (see {@link Head}).
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
     * the input, so its scaled query projection is computed once at load. Once its tensors are
     * listed for training, the forward computes the query and the keys and values from the probe
     * and {@code in_proj_*} themselves, so they receive gradients and updates are not missed.
     */
    static final class Head {
        private final int numHeads;
        private final int headDim;
        private final NDArray probe; // [1, 1, D]
        private final NDArray inWeight; // [3D, D]: q | k | v
        private final NDArray inBias; // [3D]
        private final NDArray probeQueryT; // [1, H, Dh, 1]: the probe's query, scaled, transposed
        private final Linear keyValue; // in_proj rows D..3D: [D, 2D], views
        private final Linear outProj;
        private final LayerNorm layernorm;
        private final Mlp mlp;
        private volatile boolean listed;

        Head(Weights weights, String prefix, SiglipVisionConfig config, TensorParallel parallel) {
            int d = config.hiddenSize();
            this.numHeads = config.numAttentionHeads();
            this.headDim = d / numHeads;
            this.probe = weights.get(prefix + "probe", new Shape(1, 1, d));
            this.inWeight = weights.get(prefix + "attention.in_proj_weight", new Shape(3L * d, d));
            this.inBias = weights.get(prefix + "attention.in_proj_bias", new Shape(3L * d));
            try (NDManager load = probe.getManager().newSubManager()) {
                NDArray queryWeight = inWeight.get(new NDIndex(":{}", d));
                NDArray queryBias = inBias.get(new NDIndex(":{}", d));
                new NDList(queryWeight, queryBias).attach(load); // freed once the query is made
                NDArray query = probe.reshape(1, d).matMul(queryWeight.transpose()).add(queryBias) // [1, D]
                        .mul(1.0 / Math.sqrt(headDim));
                this.probeQueryT = query.reshape(1, numHeads, headDim, 1); // [1, H, Dh, 1]
                probeQueryT.attach(load.getParentManager());
            }
            this.keyValue = Linear.of(inWeight.get(new NDIndex("{}:", d)), inBias.get(new NDIndex("{}:", d)), parallel);
            this.outProj = Linear.load(weights, prefix + "attention.out_proj", d, d, true, parallel);
            this.layernorm = LayerNorm.load(weights, prefix + "layernorm", d, config.layerNormEps());
            this.mlp = new Mlp(weights, prefix + "mlp.", d, config.intermediateSize(), config.hiddenAct(), parallel);
        }

        /** {@code [B, N, D]} to {@code [B, D]}. */
        NDArray forward(NDArray hidden) {
            return Scopes.child(hidden, x -> {
                long batch = x.getShape().get(0);
                long tokens = x.getShape().get(1);
                NDArray[] kvAndQuery = listed ? fromInProj(x) : new NDArray[] {keyValue.forward(x), probeQueryT};
                NDArray kv = kvAndQuery[0] // [B, N, 2D]
                        .reshape(batch, tokens, 2, numHeads, headDim) // [B, N, 2, H, Dh]
                        .transpose(2, 0, 3, 1, 4); // [2, B, H, N, Dh]
                NDArray keys = kv.get(0);
                NDArray values = kv.get(1);
                // keys @ q^T rather than q @ keys^T keeps the activation on the left (and in this scope)
                NDArray scores = keys.matMul(kvAndQuery[1]).swapAxes(2, 3); // [B, H, 1, N]
                NDArray attended = scores.softmax(-1).matMul(values) // [B, H, 1, Dh]
                        .reshape(batch, 1, (long) numHeads * headDim); // [B, 1, D]
                NDArray pooled = outProj.forward(attended);
                pooled = pooled.add(mlp.forward(layernorm.forward(pooled)));
                return pooled.get(new NDIndex(":, 0, :")); // [B, D]
            });
        }

        /** Keys and values {@code [B, N, 2D]} and the query {@code [1, H, Dh, 1]} from the probe and in_proj, recorded. */
        private NDArray[] fromInProj(NDArray x) {
            NDManager scope = x.getManager();
            long d = (long) numHeads * headDim;
            NDArray weightT = inWeight.transpose(); // [D, 3D]; started from a weight: moved to the scope
            NDArray bias = inBias.reshape(3 * d);
            NDArray probeRow = probe.reshape(1, d);
            new NDList(weightT, bias, probeRow).attach(scope);
            NDArray query = probeRow.matMul(weightT.get(new NDIndex(":, :{}", d))).add(bias.get(new NDIndex(":{}", d)));
            NDArray queryT = Autograd.mul(query, 1.0 / Math.sqrt(headDim)).reshape(1, numHeads, headDim, 1);
            NDArray kv = x.matMul(weightT.get(new NDIndex(":, {}:", d))).add(bias.get(new NDIndex("{}:", d)));
            return new NDArray[] {kv, queryT};
        }

        /** The head's tensors by checkpoint name; from now on the forward reads the probe and in_proj (see above). */
        void parameters(String prefix, Map<String, NDArray> out) {
            listed = true;
            out.put(prefix + "probe", probe);
            out.put(prefix + "attention.in_proj_weight", inWeight);
            out.put(prefix + "attention.in_proj_bias", inBias);
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
