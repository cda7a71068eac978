package org.mix4j.connectors.idefics2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
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
import org.mix4j.nn.Linear;
import org.mix4j.nn.RmsNorm;
import org.mix4j.nn.Scopes;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.weights.Weights;

/**
 * Idefics2's perceiver resampler (Laurençon et al. 2024, "What matters when building
 * vision-language models?"; Perceiver, Jaegle et al. 2021), following transformers'
 * {@code Idefics2Connector} / {@code Idefics2PerceiverResampler}: learned latents attend to the
 * concatenation of the normed context and the normed latents (grouped-query attention, RMSNorm,
 * gated MLP), {@code resampler_depth} times, then a final RMSNorm. {@code M = resampler_n_latents}.
 *
 * <p>Trainable: every tensor by its checkpoint name ({@code perceiver_resampler.latents},
 * {@code modality_projection.gate_proj.weight}, ...); every linear is a projection LoRA can adapt.
 */
public final class PerceiverResampler implements Connector, Trainable {

    private final NDManager manager;
    private final PerceiverResamplerConfig config;
    /** {@code null} unless {@code modality_projection} is on. */
    private final GatedMlp modalityProjection;
    private final long inputWidth;
    /** {@code [n_latents, hidden]}. */
    private final NDArray latents;
    private final List<Layer> layers = new ArrayList<>();
    private final RmsNorm norm;

    PerceiverResampler(PerceiverResamplerConfig config, long inFeatures, long modalityIntermediate, Weights weights,
            NDManager manager, TensorParallel parallel) {
        this.manager = manager;
        this.config = config;
        int hidden = config.hiddenSize();
        modalityProjection = config.modalityProjection()
                ? new GatedMlp(inFeatures, modalityIntermediate, hidden, config.modalityHiddenAct(),
                        weights.child("modality_projection."), parallel)
                : null;
        inputWidth = config.modalityProjection() ? inFeatures : hidden;
        Weights resampler = weights.child(config.resamplerPrefix());
        latents = resampler.get("latents", new Shape(config.resamplerNLatents(), hidden));
        for (int i = 0; i < config.resamplerDepth(); i++) {
            layers.add(new Layer(config, resampler.child("layers." + i + "."), parallel));
        }
        norm = RmsNorm.load(resampler, "norm", hidden, config.rmsNormEps());
    }

    /**
     * @param features {@code [B, N, Dv]} ({@code Dv = hidden_size}, or {@code in_features} with the
     *     modality projection)
     * @param attentionMask {@code [B, N]}, 1 = real token, or {@code null}
     * @return {@code [B, resampler_n_latents, hidden_size]}
     */
    @Override
    public NDArray project(NDArray features, NDArray attentionMask, TokenGrid grid) {
        Shape s = features.getShape();
        if (s.dimension() != 3 || s.get(2) != inputWidth) {
            throw new IllegalArgumentException("perceiver resampler expects features [batch, tokens, " + inputWidth
                    + "], got " + s);
        }
        if (attentionMask != null && !attentionMask.getShape().equals(new Shape(s.get(0), s.get(1)))) {
            throw new IllegalArgumentException("attention mask " + attentionMask.getShape()
                    + " does not match features " + s);
        }
        NDManager caller = features.getManager();
        try (NDManager scope = caller.newSubManager()) {
            features.tempAttach(scope);
            if (attentionMask != null) {
                attentionMask.tempAttach(scope);
            }
            NDArray context = modalityProjection == null ? features : modalityProjection.forward(features);
            NDArray compressed = Scopes.batched(latents, s.get(0), scope); // [B, L, hidden]
            NDArray bias = attentionMask == null ? null : latentBias(attentionMask, context.getDataType(), scope);
            for (Layer layer : layers) {
                compressed = layer.forward(compressed, context, bias);
            }
            NDArray out = norm.forward(compressed);
            out.attach(caller);
            return out;
        }
    }

    /** Keys are {@code [context; latents]}: the context's mask, then ones for the latents; {@code [B, 1, 1, N+L]}. */
    private NDArray latentBias(NDArray mask, DataType dtype, NDManager scope) {
        long batch = mask.getShape().get(0);
        NDArray ones = scope.ones(new Shape(batch, config.resamplerNLatents()), dtype);
        return AttentionMasks.padding(mask.toType(dtype, false).concat(ones, 1), dtype);
    }

    @Override
    public Map<String, NDArray> parameters() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        if (modalityProjection != null) {
            modalityProjection.parameters("modality_projection.", out);
        }
        String r = config.resamplerPrefix();
        out.put(r + "latents", latents);
        for (int i = 0; i < layers.size(); i++) {
            layers.get(i).parameters(r + "layers." + i + ".", out);
        }
        norm.parameters(r + "norm", out);
        return out;
    }

    @Override
    public Map<String, Projection> projections() {
        Map<String, Projection> out = new LinkedHashMap<>();
        if (modalityProjection != null) {
            modalityProjection.projections("modality_projection.", out);
        }
        for (int i = 0; i < layers.size(); i++) {
            layers.get(i).projections(config.resamplerPrefix() + "layers." + i + ".", out);
        }
        return out;
    }

    @Override
    public int outputTokens(TokenGrid grid) {
        return config.resamplerNLatents();
    }

    @Override
    public int outputSize() {
        return config.hiddenSize();
    }

    @Override
    public void close() {
        manager.close();
    }

    /** Idefics2MLP: {@code down_proj(act(gate_proj(x)) * up_proj(x))}, no biases. */
    static final class GatedMlp {
        private final Linear gateProj;
        private final Linear upProj;
        private final Linear downProj;
        private final Activation act;

        GatedMlp(long in, long intermediate, long out, Activation act, Weights w, TensorParallel parallel) {
            gateProj = Linear.load(w, "gate_proj", in, intermediate, false, parallel);
            upProj = Linear.load(w, "up_proj", in, intermediate, false, parallel);
            downProj = Linear.load(w, "down_proj", intermediate, out, false, parallel);
            this.act = act;
        }

        NDArray forward(NDArray x) {
            return downProj.forward(act.apply(gateProj.forward(x)).mul(upProj.forward(x)));
        }

        void parameters(String prefix, Map<String, NDArray> out) {
            gateProj.parameters(prefix + "gate_proj", out);
            upProj.parameters(prefix + "up_proj", out);
            downProj.parameters(prefix + "down_proj", out);
        }

        void projections(String prefix, Map<String, Projection> out) {
            out.put(prefix + "gate_proj", gateProj.whole());
            out.put(prefix + "up_proj", upProj.whole());
            out.put(prefix + "down_proj", downProj.whole());
        }
    }

    /** Idefics2PerceiverAttention: queries from the latents, keys/values from {@code [context; latents]}. */
    static final class SelfAttention {
        private final Linear qProj;
        private final Linear kProj;
        private final Linear vProj;
        private final Linear oProj;
        private final long heads;
        private final long kvHeads;
        private final long headDim;

        SelfAttention(PerceiverResamplerConfig c, Weights w, TensorParallel parallel) {
            heads = c.resamplerNHeads();
            kvHeads = c.numKeyValueHeads();
            headDim = c.resamplerHeadDim();
            qProj = Linear.load(w, "q_proj", c.hiddenSize(), heads * headDim, false, parallel);
            kProj = Linear.load(w, "k_proj", c.hiddenSize(), kvHeads * headDim, false, parallel);
            vProj = Linear.load(w, "v_proj", c.hiddenSize(), kvHeads * headDim, false, parallel);
            oProj = Linear.load(w, "o_proj", heads * headDim, c.hiddenSize(), false, parallel);
        }

        NDArray forward(NDArray latents, NDArray context, NDArray bias) {
            NDArray keysIn = context.concat(latents, 1); // [B, N+L, hidden]
            NDArray q = Attention.splitHeads(qProj.forward(latents), heads, headDim); // [B, H, L, D]
            NDArray k = Attention.splitHeads(kProj.forward(keysIn), kvHeads, headDim); // [B, Hkv, N+L, D]
            NDArray v = Attention.splitHeads(vProj.forward(keysIn), kvHeads, headDim); // [B, Hkv, N+L, D]
            NDArray attended = Attention.grouped(q, k, v, bias); // [B, H, L, D]
            return oProj.forward(Attention.mergeHeads(attended)); // [B, L, hidden]
        }

        Map<String, Linear> linears() {
            return Map.of("q_proj", qProj, "k_proj", kProj, "v_proj", vProj, "o_proj", oProj);
        }
    }

    /** Idefics2PerceiverLayer. */
    static final class Layer {
        private final RmsNorm inputLatentsNorm;
        private final RmsNorm inputContextNorm;
        private final SelfAttention selfAttn;
        private final RmsNorm postAttentionLayernorm;
        private final GatedMlp mlp;

        Layer(PerceiverResamplerConfig c, Weights w, TensorParallel parallel) {
            int hidden = c.hiddenSize();
            inputLatentsNorm = RmsNorm.load(w, "input_latents_norm", hidden, c.rmsNormEps());
            inputContextNorm = RmsNorm.load(w, "input_context_norm", hidden, c.rmsNormEps());
            selfAttn = new SelfAttention(c, w.child("self_attn."), parallel);
            postAttentionLayernorm = RmsNorm.load(w, "post_attention_layernorm", hidden, c.rmsNormEps());
            mlp = new GatedMlp(hidden, hidden * 4L, hidden, c.hiddenAct(), w.child("mlp."), parallel);
        }

        NDArray forward(NDArray latents, NDArray context, NDArray bias) {
            NDArray attended = selfAttn.forward(inputLatentsNorm.forward(latents), inputContextNorm.forward(context),
                    bias);
            NDArray h = latents.add(attended);
            return h.add(mlp.forward(postAttentionLayernorm.forward(h)));
        }

        void parameters(String prefix, Map<String, NDArray> out) {
            inputLatentsNorm.parameters(prefix + "input_latents_norm", out);
            inputContextNorm.parameters(prefix + "input_context_norm", out);
            new java.util.TreeMap<>(selfAttn.linears()).forEach((name, l) -> l.parameters(prefix + "self_attn." + name, out));
            postAttentionLayernorm.parameters(prefix + "post_attention_layernorm", out);
            mlp.parameters(prefix + "mlp.", out);
        }

        void projections(String prefix, Map<String, Projection> out) {
            new java.util.TreeMap<>(selfAttn.linears()).forEach((name, l) -> out.put(prefix + "self_attn." + name, l.whole()));
            mlp.projections(prefix + "mlp.", out);
        }
    }
}
