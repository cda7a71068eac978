package org.mix4j.cli.bench;

import org.mix4j.llm.llama.LlamaConfig;

/**
 * Parameters, FLOPs and bytes of a LLaMA-family decoder, counted from its config, for judging
 * measured speed against what the machine can do. A multiply-add counts as 2 FLOPs. Attention is
 * counted as this implementation computes it (eager: the full {@code T x S} score matrix, masked
 * entries included), and the LM head as {@code forwardLastToken} computes it (one position).
 */
public record DecoderCost(LlamaConfig config) {

    /** Weights of one decoder layer's matrices (q, k, v, o, gate, up, down). */
    public long layerMatrixParams() {
        long d = config.hiddenSize();
        long q = (long) config.numAttentionHeads() * config.resolvedHeadDim();
        long kv = (long) config.kvHeads() * config.resolvedHeadDim();
        long attention = d * q + 2 * d * kv + q * d;
        long mlp = 3 * d * config.intermediateSize();
        return attention + mlp;
    }

    /** Biases and norm scales of one layer. */
    public long layerVectorParams() {
        long q = (long) config.numAttentionHeads() * config.resolvedHeadDim();
        long kv = (long) config.kvHeads() * config.resolvedHeadDim();
        long bias = (config.qkvBias() ? q + 2 * kv : 0) + (config.outputBias() ? config.hiddenSize() : 0)
                + (config.mlpBias() ? 2L * config.intermediateSize() + config.hiddenSize() : 0);
        return bias + 2L * config.hiddenSize();
    }

    public long lmHeadParams() {
        return (long) config.vocabSize() * config.hiddenSize();
    }

    /** Every parameter, counting a tied LM head once (what Hugging Face reports as the model size). */
    public long totalParams() {
        long embedding = lmHeadParams();
        long layers = config.numHiddenLayers() * (layerMatrixParams() + layerVectorParams());
        return embedding + layers + config.hiddenSize() + (config.tieWordEmbeddings() ? 0 : lmHeadParams());
    }

    /**
     * Weight bytes one decode step reads: every layer and the LM head once; of the embedding table
     * only one row (nothing when it is the tied head, already counted).
     */
    public long weightBytesPerToken(int bytesPerValue) {
        long params = config.numHiddenLayers() * (layerMatrixParams() + layerVectorParams()) + config.hiddenSize()
                + lmHeadParams() + config.hiddenSize();
        return params * bytesPerValue;
    }

    /** Bytes of keys and values a decode step reads with {@code context} positions cached. */
    public long kvBytesPerToken(int context, int bytesPerValue) {
        return 2L * config.numHiddenLayers() * config.kvHeads() * config.resolvedHeadDim() * context * bytesPerValue;
    }

    /**
     * FLOPs of one forward pass over {@code t} new positions after {@code past} cached ones, LM
     * head on the last position only.
     */
    public double forwardFlops(int t, int past) {
        long s = (long) past + t;
        double matrices = 2.0 * t * config.numHiddenLayers() * layerMatrixParams();
        // scores Q K^T and probabilities x V, per head: 2 * t * s * headDim each
        double attention = 2.0 * 2.0 * t * s * config.numAttentionHeads() * config.resolvedHeadDim()
                * config.numHiddenLayers();
        return matrices + attention + 2.0 * lmHeadParams();
    }
}
