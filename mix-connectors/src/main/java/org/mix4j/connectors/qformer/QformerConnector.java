package org.mix4j.connectors.qformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mix4j.api.Connector;
import org.mix4j.api.TokenGrid;
import org.mix4j.api.Trainable;
import org.mix4j.nn.Activation;
import org.mix4j.nn.Attention;
import org.mix4j.nn.AttentionMasks;
import org.mix4j.nn.LayerNorm;
import org.mix4j.nn.Linear;
import org.mix4j.nn.Scopes;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.weights.Weights;

/**
 * BLIP-2's Querying Transformer (Li et al. 2023, "BLIP-2: Bootstrapping Language-Image
 * Pre-training with Frozen Image Encoders and Large Language Models"), following transformers'
 * {@code Blip2QFormerModel} and the query path of {@code Blip2ForConditionalGeneration}: learned
 * queries, layer norm, BERT-style layers (self-attention, cross-attention to the image features
 * every {@code cross_attention_frequency} layers, query feed-forward), then an optional
 * {@code language_projection}. Dropout is the identity (also when training: it is not implemented).
 *
 * <p>Trainable: every tensor is listed by its checkpoint name ({@code query_tokens},
 * {@code qformer.encoder.layer.0.attention.attention.query.weight}, ...), and every linear is a
 * projection LoRA can adapt.
 */
public final class QformerConnector implements Connector, Trainable {

    private final NDManager manager;
    private final QformerConfig config;
    /** {@code [1, Q, hidden]} as stored, or {@code null} when the queries are passed to {@link #forward}. */
    private final NDArray queryTokens;
    private final LayerNorm layernorm;
    private final List<Layer> layers = new ArrayList<>();
    private final Linear languageProjection;

    QformerConnector(QformerConfig config, long projectionSize, Weights weights, NDManager manager,
            TensorParallel parallel) {
        this.manager = manager;
        this.config = config;
        int hidden = config.hiddenSize();
        queryTokens = config.learnedQueries()
                ? weights.get("query_tokens", new Shape(1, config.numQueryTokens(), hidden))
                : null;
        Weights qformer = weights.child(config.qformerPrefix());
        layernorm = LayerNorm.load(qformer, "layernorm", hidden, config.layerNormEps());
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            layers.add(new Layer(config, i, qformer.child("encoder.layer." + i + "."), parallel));
        }
        languageProjection = config.languageProjection()
                ? Linear.load(weights, "language_projection", hidden, projectionSize, true, parallel)
                : null;
    }

    /**
     * Blip2QFormerModel's forward with query embeddings and no text.
     *
     * @param queryEmbeds {@code [B, Q, hidden_size]}
     * @param encoderHiddenStates {@code [B, N, encoder_hidden_size]}
     * @param encoderAttentionMask {@code [B, N]}, 1 = attend, or {@code null}
     */
    public QformerOutput forward(NDArray queryEmbeds, NDArray encoderHiddenStates, NDArray encoderAttentionMask) {
        checkInputs(encoderHiddenStates, encoderAttentionMask);
        Shape qs = queryEmbeds.getShape();
        long batch = encoderHiddenStates.getShape().get(0);
        if (qs.dimension() != 3 || qs.get(0) != batch || qs.get(2) != config.hiddenSize()) {
            throw new IllegalArgumentException("query embeddings must be [" + batch
                    + ", queries, " + config.hiddenSize() + "] (batch of the features, hidden_size), got " + qs);
        }
        NDManager caller = queryEmbeds.getManager();
        try (NDManager scope = caller.newSubManager()) {
            tempAttach(scope, queryEmbeds, encoderHiddenStates, encoderAttentionMask);
            NDArray last = encode(queryEmbeds, encoderHiddenStates, encoderAttentionMask);
            NDArray pooled = last.get(":, 0, :"); // [B, hidden]
            last.attach(caller);
            pooled.attach(caller);
            return new QformerOutput(last, pooled);
        }
    }

    /** Learned queries over {@code features}, projected to the language model when configured. */
    @Override
    public NDArray project(NDArray features, NDArray attentionMask, TokenGrid grid) {
        if (queryTokens == null) {
            throw new IllegalStateException("this Q-Former was loaded with learned_queries: false, so it has no"
                    + " query_tokens to project with; call forward(queryEmbeds, ...) or load query_tokens");
        }
        checkInputs(features, attentionMask);
        NDManager caller = features.getManager();
        try (NDManager scope = caller.newSubManager()) {
            tempAttach(scope, features, attentionMask);
            NDArray queries = Scopes.batched(queryTokens, features.getShape().get(0), scope) // [B, 1, Q, hidden]
                    .reshape(features.getShape().get(0), config.numQueryTokens(), config.hiddenSize()); // [B, Q, hidden]
            NDArray out = encode(queries, features, attentionMask);
            if (languageProjection != null) {
                out = languageProjection.forward(out); // [B, Q, Dllm]
            }
            out.attach(caller);
            return out;
        }
    }

    private NDArray encode(NDArray queryEmbeds, NDArray encoderHiddenStates, NDArray encoderAttentionMask) {
        NDArray bias = encoderAttentionMask == null ? null
                : AttentionMasks.padding(encoderAttentionMask, encoderHiddenStates.getDataType()); // [B, 1, 1, N]
        NDArray h = layernorm.forward(queryEmbeds);
        for (Layer layer : layers) {
            h = layer.forward(h, encoderHiddenStates, bias);
        }
        return h;
    }

    private void checkInputs(NDArray features, NDArray mask) {
        Shape s = features.getShape();
        if (s.dimension() != 3 || s.get(2) != config.encoderHiddenSize()) {
            throw new IllegalArgumentException("Q-Former expects image features [batch, tokens, "
                    + config.encoderHiddenSize() + "] (encoder_hidden_size), got " + s);
        }
        if (mask != null && !mask.getShape().equals(new Shape(s.get(0), s.get(1)))) {
            throw new IllegalArgumentException("attention mask " + mask.getShape() + " does not match features " + s);
        }
    }

    private static void tempAttach(NDManager scope, NDArray... arrays) {
        for (NDArray a : arrays) {
            if (a != null) {
                a.tempAttach(scope);
            }
        }
    }

    @Override
    public Map<String, NDArray> parameters() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        if (queryTokens != null) {
            out.put("query_tokens", queryTokens);
        }
        String q = config.qformerPrefix();
        layernorm.parameters(q + "layernorm", out);
        for (int i = 0; i < layers.size(); i++) {
            layers.get(i).parameters(q + "encoder.layer." + i + ".", out);
        }
        if (languageProjection != null) {
            languageProjection.parameters("language_projection", out);
        }
        return out;
    }

    @Override
    public Map<String, Projection> projections() {
        Map<String, Projection> out = new LinkedHashMap<>();
        for (int i = 0; i < layers.size(); i++) {
            layers.get(i).projections(config.qformerPrefix() + "encoder.layer." + i + ".", out);
        }
        if (languageProjection != null) {
            out.put("language_projection", languageProjection.whole());
        }
        return out;
    }

    @Override
    public int outputTokens(TokenGrid grid) {
        return config.numQueryTokens();
    }

    @Override
    public int outputSize() {
        return (int) (languageProjection != null ? languageProjection.outFeatures() : config.hiddenSize());
    }

    @Override
    public void close() {
        manager.close();
    }

    /** Blip2QFormerMultiHeadAttention: queries from the layer input, keys/values from {@code kvSource}. */
    static final class MultiHeadAttention {
        private final Linear query;
        private final Linear key;
        private final Linear value;
        private final long heads;
        private final long headDim;

        MultiHeadAttention(QformerConfig c, long kvWidth, Weights w, TensorParallel parallel) {
            heads = c.numAttentionHeads();
            headDim = c.hiddenSize() / heads;
            query = Linear.load(w, "query", c.hiddenSize(), c.hiddenSize(), true, parallel);
            key = Linear.load(w, "key", kvWidth, c.hiddenSize(), true, parallel);
            value = Linear.load(w, "value", kvWidth, c.hiddenSize(), true, parallel);
        }

        NDArray forward(NDArray hidden, NDArray kvSource, NDArray bias) {
            NDArray q = Attention.splitHeads(query.forward(hidden), heads, headDim); // [B, H, Q, D]
            NDArray k = Attention.splitHeads(key.forward(kvSource), heads, headDim); // [B, H, S, D]
            NDArray v = Attention.splitHeads(value.forward(kvSource), heads, headDim); // [B, H, S, D]
            return Attention.mergeHeads(Attention.grouped(q, k, v, bias)); // [B, Q, hidden]
        }

        void parameters(String prefix, Map<String, NDArray> out) {
            query.parameters(prefix + "query", out);
            key.parameters(prefix + "key", out);
            value.parameters(prefix + "value", out);
        }

        void projections(String prefix, Map<String, Projection> out) {
            out.put(prefix + "query", query.whole());
            out.put(prefix + "key", key.whole());
            out.put(prefix + "value", value.whole());
        }
    }

    /** Blip2QFormerAttention: attention, then {@code output.dense} and the post-residual LayerNorm. */
    static final class AttentionBlock {
        private final MultiHeadAttention attention;
        private final Linear outputDense;
        private final LayerNorm outputLayerNorm;

        AttentionBlock(QformerConfig c, long kvWidth, Weights w, TensorParallel parallel) {
            attention = new MultiHeadAttention(c, kvWidth, w.child("attention."), parallel);
            outputDense = Linear.load(w, "output.dense", c.hiddenSize(), c.hiddenSize(), true, parallel);
            outputLayerNorm = LayerNorm.load(w, "output.LayerNorm", c.hiddenSize(), c.layerNormEps());
        }

        NDArray forward(NDArray hidden, NDArray kvSource, NDArray bias) {
            NDArray attended = attention.forward(hidden, kvSource, bias);
            return outputLayerNorm.forward(outputDense.forward(attended).add(hidden));
        }

        void parameters(String prefix, Map<String, NDArray> out) {
            attention.parameters(prefix + "attention.", out);
            outputDense.parameters(prefix + "output.dense", out);
            outputLayerNorm.parameters(prefix + "output.LayerNorm", out);
        }

        void projections(String prefix, Map<String, Projection> out) {
            attention.projections(prefix + "attention.", out);
            out.put(prefix + "output.dense", outputDense.whole());
        }
    }

    /** {@code intermediate_query} / {@code output_query}: the feed-forward that query tokens take. */
    static final class QueryFeedForward {
        private final Linear intermediateDense;
        private final Activation act;
        private final Linear outputDense;
        private final LayerNorm outputLayerNorm;

        QueryFeedForward(QformerConfig c, Weights w, TensorParallel parallel) {
            intermediateDense = Linear.load(w, "intermediate_query.dense", c.hiddenSize(), c.intermediateSize(), true,
                    parallel);
            act = c.hiddenAct();
            outputDense = Linear.load(w, "output_query.dense", c.intermediateSize(), c.hiddenSize(), true, parallel);
            outputLayerNorm = LayerNorm.load(w, "output_query.LayerNorm", c.hiddenSize(), c.layerNormEps());
        }

        NDArray forward(NDArray hidden) {
            NDArray inner = act.apply(intermediateDense.forward(hidden)); // [B, Q, intermediate]
            return outputLayerNorm.forward(outputDense.forward(inner).add(hidden));
        }

        void parameters(String prefix, Map<String, NDArray> out) {
            intermediateDense.parameters(prefix + "intermediate_query.dense", out);
            outputDense.parameters(prefix + "output_query.dense", out);
            outputLayerNorm.parameters(prefix + "output_query.LayerNorm", out);
        }

        void projections(String prefix, Map<String, Projection> out) {
            out.put(prefix + "intermediate_query.dense", intermediateDense.whole());
            out.put(prefix + "output_query.dense", outputDense.whole());
        }
    }

    /** Blip2QFormerLayer for query tokens only (no text input). */
    static final class Layer {
        private final AttentionBlock attention;
        /** {@code null} in layers without cross-attention. */
        private final AttentionBlock crossattention;
        private final QueryFeedForward feedForward;

        Layer(QformerConfig c, int index, Weights w, TensorParallel parallel) {
            attention = new AttentionBlock(c, c.hiddenSize(), w.child("attention."), parallel);
            crossattention = c.hasCrossAttention(index)
                    ? new AttentionBlock(c, c.encoderHiddenSize(), w.child("crossattention."), parallel)
                    : null;
            feedForward = new QueryFeedForward(c, w, parallel);
        }

        NDArray forward(NDArray hidden, NDArray encoderHiddenStates, NDArray encoderBias) {
            // The queries' self-attention mask is all ones, so it adds nothing.
            NDArray h = attention.forward(hidden, hidden, null);
            if (crossattention != null) {
                h = crossattention.forward(h, encoderHiddenStates, encoderBias);
            }
            return feedForward.forward(h);
        }

        void parameters(String prefix, Map<String, NDArray> out) {
            attention.parameters(prefix + "attention.", out);
            if (crossattention != null) {
                crossattention.parameters(prefix + "crossattention.", out);
            }
            feedForward.parameters(prefix, out);
        }

        void projections(String prefix, Map<String, Projection> out) {
            attention.projections(prefix + "attention.", out);
            if (crossattention != null) {
                crossattention.projections(prefix + "crossattention.", out);
            }
            feedForward.projections(prefix, out);
        }
    }
}
