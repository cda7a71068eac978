package org.mix4j.pipelines.retrieval;

import java.util.Objects;

/**
 * Which model produced an index's embeddings: an index may only be extended or searched with the
 * same image tower, preprocessing and weights.
 *
 * @param checkpoint where the weights were (informational: a moved checkpoint still matches)
 * @param encoder the image tower's component type ({@code clip_vision})
 * @param hash hex SHA-256 over the bound tower and image-processor configs and the weight files
 *     (see {@link RetrievalPipeline#fingerprint()})
 * @param dim embedding width
 */
public record ModelFingerprint(String checkpoint, String encoder, String hash, int dim) {

    public ModelFingerprint {
        Objects.requireNonNull(checkpoint, "checkpoint");
        Objects.requireNonNull(encoder, "encoder");
        Objects.requireNonNull(hash, "hash");
        if (dim <= 0) {
            throw new IllegalArgumentException("embedding dim must be positive, got " + dim);
        }
    }

    /** Same embedding space: the hash and width agree (the checkpoint path may differ). */
    public boolean sameModel(ModelFingerprint other) {
        return hash.equals(other.hash) && dim == other.dim && encoder.equals(other.encoder);
    }

    /** {@code clip_vision at /models/clip (dim 512, a1b2c3d4e5f6)}. */
    public String describe() {
        return encoder + " at " + checkpoint + " (dim " + dim + ", " + hash.substring(0, Math.min(12, hash.length())) + ")";
    }
}
