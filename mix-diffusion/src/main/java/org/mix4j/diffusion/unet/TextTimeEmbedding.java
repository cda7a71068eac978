package org.mix4j.diffusion.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import org.mix4j.nn.Attention;
import org.mix4j.nn.LayerNorm;
import org.mix4j.nn.Linear;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.weights.Weights;

/**
 * The UNet's {@code addition_embed_type: text} ({@code add_embedding.*}): the text encoder's states
 * pooled into one vector and added to the time embedding, so that every resnet sees the whole prompt
 * and not only the layers with cross-attention. diffusers' {@code TextTimeEmbedding}: a layer norm,
 * attention pooling (a query made of the states' mean plus a learnt position, attending over that
 * query and every state, {@code num_heads} heads, no output projection), a linear to the time
 * embedding's width and a second layer norm.
 */
final class TextTimeEmbedding {

    private static final String PREFIX = "add_embedding.";
    private static final double EPS = 1e-5;

    private final LayerNorm norm1;
    private final NDArray positionalEmbedding; // [1, D]
    private final Linear qProj;
    private final Linear kProj;
    private final Linear vProj;
    private final Linear proj;
    private final LayerNorm norm2;
    private final long heads;
    private final long headDim;

    private TextTimeEmbedding(Weights w, long encoderDim, long timeEmbedDim, int heads, TensorParallel parallel) {
        this.heads = heads;
        this.headDim = encoderDim / heads;
        this.norm1 = LayerNorm.load(w, PREFIX + "norm1", encoderDim, EPS);
        this.positionalEmbedding = w.get(PREFIX + "pool.positional_embedding", new Shape(1, encoderDim));
        this.qProj = Linear.load(w, PREFIX + "pool.q_proj", encoderDim, encoderDim, parallel);
        this.kProj = Linear.load(w, PREFIX + "pool.k_proj", encoderDim, encoderDim, parallel);
        this.vProj = Linear.load(w, PREFIX + "pool.v_proj", encoderDim, encoderDim, parallel);
        this.proj = Linear.load(w, PREFIX + "proj", encoderDim, timeEmbedDim, parallel);
        this.norm2 = LayerNorm.load(w, PREFIX + "norm2", timeEmbedDim, EPS);
    }

    /** The config's {@code add_embedding}, or {@code null} when it has no {@code addition_embed_type}. */
    static TextTimeEmbedding load(Weights w, Unet2dConditionConfig c, TensorParallel parallel) {
        if (c.additionEmbedType() == null) {
            return null;
        }
        return new TextTimeEmbedding(w, c.crossAttentionDim().get(0), c.timeEmbedDim(), c.additionEmbedTypeNumHeads(),
                parallel);
    }

    /** {@code [B, T, D]} text states -> {@code [B, time_embed_dim]}, to add to the time embedding. */
    NDArray forward(NDArray states) {
        NDArray x = norm1.forward(states);
        long batch = x.getShape().get(0);
        NDArray query = x.mean(new int[] {1}, true).add(positionalEmbedding.toType(x.getDataType(), false)); // [B, 1, D]
        NDArray all = NDArrays.concat(new NDList(query, x), 1); // [B, T + 1, D]
        // the reference scales q and k by headDim^-1/4 each (for float16); the same product as q / sqrt(headDim)
        NDArray q = Attention.splitHeads(qProj.forward(query), heads, headDim).mul((float) (1 / Math.sqrt(headDim)));
        NDArray k = Attention.splitHeads(kProj.forward(all), heads, headDim); // [B, H, T + 1, Dh]
        NDArray v = Attention.splitHeads(vProj.forward(all), heads, headDim);
        NDArray attended = Attention.scaledDotProduct(q, k, v, null, TensorParallel.SERIAL); // [B, H, 1, Dh]
        NDArray pooled = Attention.mergeHeads(attended).reshape(batch, -1); // [B, D]
        return norm2.forward(proj.forward(pooled));
    }

    void parameters(Map<String, NDArray> out) {
        norm1.parameters(PREFIX + "norm1", out);
        out.put(PREFIX + "pool.positional_embedding", positionalEmbedding);
        kProj.parameters(PREFIX + "pool.k_proj", out);
        qProj.parameters(PREFIX + "pool.q_proj", out);
        vProj.parameters(PREFIX + "pool.v_proj", out);
        proj.parameters(PREFIX + "proj", out);
        norm2.parameters(PREFIX + "norm2", out);
    }
}
