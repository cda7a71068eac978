package org.mix4j.pipelines.retrieval;

import java.util.List;

/**
 * Everything an index file holds.
 *
 * @param model the model that produced the embeddings
 * @param root absolute path of the indexed folder when it was last indexed ("" for synthetic indexes)
 * @param entries one per row of {@code embeddings}, sorted by path
 * @param embeddings L2-normalised fp16 bits, row-major {@code [entries.size(), model.dim()]}
 */
public record IndexContents(ModelFingerprint model, String root, List<IndexEntry> entries, short[] embeddings) {

    public IndexContents {
        entries = List.copyOf(entries);
        if ((long) entries.size() * model.dim() != embeddings.length) {
            throw new IllegalArgumentException(entries.size() + " entries of dim " + model.dim() + " need "
                    + (long) entries.size() * model.dim() + " values, got " + embeddings.length);
        }
    }

    public int dim() {
        return model.dim();
    }

    public int count() {
        return entries.size();
    }
}
