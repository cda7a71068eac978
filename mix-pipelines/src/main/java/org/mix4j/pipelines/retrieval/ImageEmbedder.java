package org.mix4j.pipelines.retrieval;

import java.util.List;
import org.mix4j.api.RgbImage;

/** What the {@link Indexer} needs from a model: normalised image embeddings and the model's identity. */
public interface ImageEmbedder {

    /** The model, checked against an existing index before it is extended. */
    ModelFingerprint fingerprint();

    /** L2-normalised embeddings {@code [B][fingerprint().dim()]}, one per image, in order. */
    float[][] embedImages(List<RgbImage> images);
}
