package org.mix4j.cli.bench;

import org.mix4j.encoders.clip.ClipVisionConfig;

/**
 * FLOPs of one image through a CLIP ViT vision tower, counted from its config: the patch
 * embedding, and per layer the q/k/v and output projections, the two attention products and the
 * MLP. A multiply-add counts as 2 FLOPs; norms, activations and softmax (a few FLOPs per element)
 * are left out, as the matrix products dwarf them.
 */
public final class VitFlops {

    private VitFlops() {}

    public static double perImage(ClipVisionConfig c) {
        double d = c.hiddenSize();
        double patches = (double) c.gridSize() * c.gridSize();
        double tokens = patches + 1; // CLS
        double patchEmbedding = 2 * patches * c.numChannels() * c.patchSize() * c.patchSize() * d;
        double projections = 2 * tokens * d * (3 * d + d); // q, k, v, out
        double attention = 2 * 2 * tokens * tokens * d; // Q K^T and P V over all heads
        double mlp = 2 * 2 * tokens * d * c.intermediateSize();
        return patchEmbedding + c.numHiddenLayers() * (projections + attention + mlp) + 2 * d * c.projectionDim();
    }
}
