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
import java.util.OptionalInt;
import org.mix4j.api.EncoderOutput;
import org.mix4j.api.TextEncoder;
import org.mix4j.api.Trainable;
import org.mix4j.encoders.layers.EncoderLayer;
import org.mix4j.encoders.layers.FeatureLayer;
import org.mix4j.nn.AttentionMasks;
import org.mix4j.nn.LayerNorm;
import org.mix4j.nn.Linear;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.weights.Weights;

/**
 * CLIP's text transformer (Radford et al. 2021), following transformers'
 * {@code CLIPTextModelWithProjection}: token plus learned position embeddings, pre-norm encoder
 * layers under a causal mask combined with the padding mask, {@code final_layer_norm}, the pooled
 * output at each row's EOS token, and the optional {@code text_projection} ({@code text_embeds}).
 *
 * <p>Tensor names are relative to the weights prefix: {@code text_model.*} and
 * {@code text_projection.weight}.
 *
 * <p>Trainable: the tensors by checkpoint name, except each layer's {@code q_proj}/{@code k_proj}/
 * {@code v_proj}, which are fused into one matrix at load and listed as {@code self_attn.qkv_proj}
 * (its rows are the three; each is also a projection LoRA can adapt), as in {@link ClipVisionEncoder}.
 */
public final class ClipTextEncoder implements TextEncoder, Trainable {

    private final ClipTextConfig config;
    private final NDManager manager;
    private final DataType dtype;
    private final NDArray tokenEmbedding; // [V, D]
    private final NDArray positionEmbedding; // [P, D]
    private final List<EncoderLayer> layers = new ArrayList<>();
    private final LayerNorm finalLayerNorm;
    private final Linear textProjection; // null when the checkpoint has none

    public ClipTextEncoder(ClipTextConfig config, Weights weights, NDManager manager, DataType dtype,
            TensorParallel parallel) {
        this.config = config;
        this.manager = manager;
        this.dtype = dtype;
        int d = config.hiddenSize();
        this.tokenEmbedding = weights.get("text_model.embeddings.token_embedding.weight",
                new Shape(config.vocabSize(), d));
        this.positionEmbedding = weights.get("text_model.embeddings.position_embedding.weight",
                new Shape(config.maxPositionEmbeddings(), d));
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            layers.add(new EncoderLayer(weights, "text_model.encoder.layers." + i + ".", d, config.intermediateSize(),
                    config.numAttentionHeads(), config.layerNormEps(), config.hiddenAct(), parallel));
        }
        this.finalLayerNorm = LayerNorm.load(weights, "text_model.final_layer_norm", d, config.layerNormEps());
        this.textProjection = weights.contains("text_projection.weight")
                ? Linear.load(weights, "text_projection", d, config.projectionDim(), false, parallel)
                : null;
    }

    @Override
    public EncoderOutput encode(NDArray inputIds, NDArray attentionMask) {
        Shape s = inputIds.getShape();
        checkInput(s, attentionMask);
        long batch = s.get(0);
        int length = (int) s.get(1);
        NDManager caller = inputIds.getManager();
        Integer featureLayer = config.featureLayer();
        int selected = featureLayer == null ? -1 : FeatureLayer.resolve(featureLayer, config.numHiddenLayers());
        try (NDManager scope = caller.newSubManager()) {
            inputIds.tempAttach(scope);
            if (attentionMask != null) {
                attentionMask.tempAttach(scope);
            }
            NDArray ids = inputIds.toType(DataType.INT64, false);
            NDArray tokens = tokenEmbedding.get(scope, new NDIndex("{}", ids.flatten())); // [B*T, D]
            NDArray positions = positionEmbedding.get(scope, new NDIndex("0:{}", length)); // [T, D]
            NDArray hidden = tokens.reshape(batch, length, config.hiddenSize()).add(positions); // [B, T, D]
            NDArray mask = mask(scope, attentionMask, length); // [B or 1, 1, T, T]
            NDArray feature = selected == 0 ? hidden : null;
            for (int i = 0; i < layers.size(); i++) {
                NDArray next = layers.get(i).forward(hidden, mask);
                if (hidden != feature) {
                    hidden.close();
                }
                hidden = next;
                if (i + 1 == selected) {
                    feature = hidden;
                }
            }
            NDArray last = finalLayerNorm.forward(hidden); // [B, T, D]
            NDArray pooled = pool(last, ids, scope); // [B, D]
            NDArray embeds = textProjection == null ? null : textProjection.forward(pooled); // [B, P]
            NDArray features = feature == null ? last.get(new NDIndex(":, :, :")) : feature.get(new NDIndex(":, :, :"));
            for (NDArray a : new NDArray[] {last, pooled, embeds, features}) {
                if (a != null) {
                    a.attach(caller);
                }
            }
            return new EncoderOutput(last, pooled, embeds, features, null);
        }
    }

    /** The causal mask plus the padding mask, added as transformers adds them. */
    private NDArray mask(NDManager scope, NDArray attentionMask, int length) {
        NDArray causal = AttentionMasks.causal(scope, length, dtype); // [1, 1, T, T]
        if (attentionMask == null) {
            return causal;
        }
        return causal.add(AttentionMasks.padding(attentionMask, dtype)); // [B, 1, T, T]
    }

    /**
     * Each row's hidden state at its first {@code eos_token_id} (position 0 when a row has none,
     * as argmax of an all-zero row gives), or at its largest id under the legacy rule.
     */
    private NDArray pool(NDArray last, NDArray ids, NDManager scope) {
        long batch = last.getShape().get(0);
        long length = last.getShape().get(1);
        NDArray positions = config.legacyPooling()
                ? ids.argMax(1)
                : ids.eq(config.eosTokenId()).toType(DataType.INT32, false).argMax(1); // [B]
        NDArray rows = scope.arange(0, (int) (batch * length), (int) length, DataType.INT64); // [B]
        NDArray flat = rows.add(positions.toType(DataType.INT64, false));
        return last.reshape(batch * length, last.getShape().get(2)).get(new NDIndex("{}", flat)); // [B, D]
    }

    private void checkInput(Shape s, NDArray attentionMask) {
        if (s.dimension() != 2) {
            throw new IllegalArgumentException("clip_text expects input_ids [B, T], got " + s);
        }
        if (s.get(1) > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("sequence of " + s.get(1) + " tokens is longer than max_position_embeddings "
                    + config.maxPositionEmbeddings());
        }
        if (attentionMask != null && !attentionMask.getShape().equals(s)) {
            throw new IllegalArgumentException("attention_mask " + attentionMask.getShape()
                    + " must have the shape of input_ids " + s);
        }
    }

    @Override
    public Map<String, NDArray> parameters() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        out.put("text_model.embeddings.token_embedding.weight", tokenEmbedding);
        out.put("text_model.embeddings.position_embedding.weight", positionEmbedding);
        for (int i = 0; i < layers.size(); i++) {
            layers.get(i).parameters("text_model.encoder.layers." + i + ".", out);
        }
        finalLayerNorm.parameters("text_model.final_layer_norm", out);
        if (textProjection != null) {
            textProjection.parameters("text_projection", out);
        }
        return out;
    }

    @Override
    public Map<String, Projection> projections() {
        Map<String, Projection> out = new LinkedHashMap<>();
        for (int i = 0; i < layers.size(); i++) {
            layers.get(i).projections("text_model.encoder.layers." + i + ".", out);
        }
        if (textProjection != null) {
            out.put("text_projection", textProjection.whole());
        }
        return out;
    }

    @Override
    public int hiddenSize() {
        return config.hiddenSize();
    }

    @Override
    public int maxPositions() {
        return config.maxPositionEmbeddings();
    }

    @Override
    public OptionalInt vocabSize() {
        return OptionalInt.of(config.vocabSize());
    }

    public ClipTextConfig config() {
        return config;
    }

    /** Whether the checkpoint had {@code text_projection}, i.e. {@code embeds} is produced. */
    public boolean hasProjection() {
        return textProjection != null;
    }

    @Override
    public void close() {
        manager.close();
    }
}
