package org.mix4j.connectors.flamingo;

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
 * Flamingo's perceiver resampler (Alayrac et al. 2022, "Flamingo: a Visual Language Model for
 * Few-Shot Learning"), with the module layout of flamingo-pytorch / OpenFlamingo
 * ({@code layers.<i>.0} attention, {@code layers.<i>.1} feed-forward as {@code nn.Sequential}):
 * LayerNorm on features and latents, multi-head attention of the latents over
 * {@code [features; latents]} with a fused {@code to_kv}, a GELU feed-forward, and a final
 * LayerNorm. The reference takes no mask; here padded feature tokens may be masked out, which
 * changes nothing when the mask is all ones. {@code M = num_latents}.
 *
 * <p>Trainable: every tensor by its checkpoint name ({@code latents}, {@code frame_embs},
 * {@code layers.0.0.to_kv.weight}, ...); every linear is a projection LoRA can adapt ({@code to_kv}
 * is stored fused, so it is one module as in the reference).
 */
public final class FlamingoResampler implements Connector, Trainable {

    private final NDManager manager;
    private final FlamingoResamplerConfig config;
    /** {@code [max_num_frames, dim]}, or {@code null}; frame 0 is added to the features (one image per call). */
    private final NDArray frameEmbs;
    /** {@code [max_num_media, 1, dim]}, or {@code null}; media slot 0 is added to the features. */
    private final NDArray mediaTimeEmbs;
    /** {@code [num_latents, dim]}. */
    private final NDArray latents;
    private final List<Layer> layers = new ArrayList<>();
    private final LayerNorm norm;
    private final Linear proj;

    FlamingoResampler(FlamingoResamplerConfig config, Weights weights, NDManager manager, TensorParallel parallel) {
        this.manager = manager;
        this.config = config;
        long dim = config.hiddenSize();
        frameEmbs = config.maxNumFrames() == null ? null
                : weights.get("frame_embs", new Shape(config.maxNumFrames(), dim));
        mediaTimeEmbs = config.maxNumMedia() == null ? null
                : weights.get("media_time_embs", new Shape(config.maxNumMedia(), 1, dim));
        latents = weights.get("latents", new Shape(config.numLatents(), dim));
        for (int i = 0; i < config.depth(); i++) {
            layers.add(new Layer(config, weights.child("layers." + i + "."), parallel));
        }
        norm = LayerNorm.load(weights, "norm", dim, config.layerNormEps());
        proj = config.outFeatures() == null ? null : Linear.load(weights, "proj", dim, config.outFeatures(), true,
                parallel);
    }

    @Override
    public NDArray project(NDArray features, NDArray attentionMask, TokenGrid grid) {
        Shape s = features.getShape();
        if (s.dimension() != 3 || s.get(2) != config.hiddenSize()) {
            throw new IllegalArgumentException("flamingo resampler expects features [batch, tokens, "
                    + config.hiddenSize() + "], got " + s);
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
            NDArray x = features; // [B, N, dim]
            if (frameEmbs != null) {
                x = x.add(frameEmbs.get(scope, new NDIndex("0"))); // the first frame
            }
            if (mediaTimeEmbs != null) {
                x = x.add(mediaTimeEmbs.get(scope, new NDIndex("0, 0"))); // the first media slot
            }
            NDArray h = Scopes.batched(latents, s.get(0), scope); // [B, L, dim]
            NDArray bias = attentionMask == null ? null : latentBias(attentionMask, x.getDataType(), scope);
            for (Layer layer : layers) {
                h = layer.forward(x, h, bias);
            }
            NDArray out = norm.forward(h);
            if (proj != null) {
                out = proj.forward(out); // [B, L, out_features]
            }
            out.attach(caller);
            return out;
        }
    }

    /** Keys are {@code [features; latents]}: the features' mask, then ones; {@code [B, 1, 1, N+L]}. */
    private NDArray latentBias(NDArray mask, DataType dtype, NDManager scope) {
        NDArray ones = scope.ones(new Shape(mask.getShape().get(0), config.numLatents()), dtype);
        return AttentionMasks.padding(mask.toType(dtype, false).concat(ones, 1), dtype);
    }

    @Override
    public Map<String, NDArray> parameters() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        if (frameEmbs != null) {
            out.put("frame_embs", frameEmbs);
        }
        if (mediaTimeEmbs != null) {
            out.put("media_time_embs", mediaTimeEmbs);
        }
        out.put("latents", latents);
        for (int i = 0; i < layers.size(); i++) {
            layers.get(i).parameters("layers." + i + ".", out);
        }
        norm.parameters("norm", out);
        if (proj != null) {
            proj.parameters("proj", out);
        }
        return out;
    }

    @Override
    public Map<String, Projection> projections() {
        Map<String, Projection> out = new LinkedHashMap<>();
        for (int i = 0; i < layers.size(); i++) {
            layers.get(i).projections("layers." + i + ".", out);
        }
        if (proj != null) {
            out.put("proj", proj.whole());
        }
        return out;
    }

    @Override
    public int outputTokens(TokenGrid grid) {
        return config.numLatents();
    }

    @Override
    public int outputSize() {
        return config.outFeatures() != null ? config.outFeatures() : config.hiddenSize();
    }

    @Override
    public void close() {
        manager.close();
    }

    /** PerceiverAttention ({@code layers.<i>.0}). */
    static final class PerceiverAttention {
        private final LayerNorm normMedia;
        private final LayerNorm normLatents;
        private final Linear toQ;
        private final Linear toKv;
        private final Linear toOut;
        private final long heads;
        private final long dimHead;

        PerceiverAttention(FlamingoResamplerConfig c, Weights w, TensorParallel parallel) {
            long dim = c.hiddenSize();
            heads = c.heads();
            dimHead = c.dimHead();
            normMedia = LayerNorm.load(w, "norm_media", dim, c.layerNormEps());
            normLatents = LayerNorm.load(w, "norm_latents", dim, c.layerNormEps());
            toQ = Linear.load(w, "to_q", dim, heads * dimHead, false, parallel);
            toKv = Linear.load(w, "to_kv", dim, 2 * heads * dimHead, false, parallel);
            toOut = Linear.load(w, "to_out", heads * dimHead, dim, false, parallel);
        }

        NDArray forward(NDArray x, NDArray latents, NDArray bias) {
            NDArray media = normMedia.forward(x);
            NDArray lat = normLatents.forward(latents);
            NDList kv = toKv.forward(media.concat(lat, 1)).split(2, 2); // 2 x [B, N+L, H*D]
            NDArray q = Attention.splitHeads(toQ.forward(lat), heads, dimHead); // [B, H, L, D]
            NDArray k = Attention.splitHeads(kv.get(0), heads, dimHead); // [B, H, N+L, D]
            NDArray v = Attention.splitHeads(kv.get(1), heads, dimHead); // [B, H, N+L, D]
            NDArray attended = Attention.grouped(q, k, v, bias); // [B, H, L, D]
            return toOut.forward(Attention.mergeHeads(attended)); // [B, L, dim]
        }

        void parameters(String prefix, Map<String, NDArray> out) {
            normMedia.parameters(prefix + "norm_media", out);
            normLatents.parameters(prefix + "norm_latents", out);
            toQ.parameters(prefix + "to_q", out);
            toKv.parameters(prefix + "to_kv", out);
            toOut.parameters(prefix + "to_out", out);
        }

        void projections(String prefix, Map<String, Projection> out) {
            out.put(prefix + "to_q", toQ.whole());
            out.put(prefix + "to_kv", toKv.whole());
            out.put(prefix + "to_out", toOut.whole());
        }
    }

    /** FeedForward ({@code layers.<i>.1}): LayerNorm, Linear, GELU, Linear, as an nn.Sequential. */
    static final class FeedForward {
        private final LayerNorm norm;
        private final Linear up;
        private final Linear down;

        FeedForward(FlamingoResamplerConfig c, Weights w, TensorParallel parallel) {
            long dim = c.hiddenSize();
            long inner = dim * c.ffMult();
            norm = LayerNorm.load(w, "0", dim, c.layerNormEps());
            up = Linear.load(w, "1", dim, inner, false, parallel);
            down = Linear.load(w, "3", inner, dim, false, parallel);
        }

        NDArray forward(NDArray x) {
            return down.forward(Activation.GELU.apply(up.forward(norm.forward(x))));
        }

        void parameters(String prefix, Map<String, NDArray> out) {
            norm.parameters(prefix + "0", out);
            up.parameters(prefix + "1", out);
            down.parameters(prefix + "3", out);
        }

        void projections(String prefix, Map<String, Projection> out) {
            out.put(prefix + "1", up.whole());
            out.put(prefix + "3", down.whole());
        }
    }

    /** One {@code [PerceiverAttention, FeedForward]} pair with residuals. */
    static final class Layer {
        private final PerceiverAttention attention;
        private final FeedForward feedForward;

        Layer(FlamingoResamplerConfig c, Weights w, TensorParallel parallel) {
            attention = new PerceiverAttention(c, w.child("0."), parallel);
            feedForward = new FeedForward(c, w.child("1."), parallel);
        }

        NDArray forward(NDArray x, NDArray latents, NDArray bias) {
            NDArray h = attention.forward(x, latents, bias).add(latents);
            return feedForward.forward(h).add(h);
        }

        void parameters(String prefix, Map<String, NDArray> out) {
            attention.parameters(prefix + "0.", out);
            feedForward.parameters(prefix + "1.", out);
        }

        void projections(String prefix, Map<String, Projection> out) {
            attention.projections(prefix + "0.", out);
            feedForward.projections(prefix + "1.", out);
        }
    }
}
