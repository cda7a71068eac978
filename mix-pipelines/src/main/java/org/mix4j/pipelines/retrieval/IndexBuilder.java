package org.mix4j.pipelines.retrieval;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * An index assembled from embeddings made elsewhere (a Spark job's Parquet output): entries added
 * one by one, sorted by path as {@link Indexer} sorts them, each embedding rounded to fp16 as
 * {@link Indexer} rounds it. The same files and embeddings give the same {@link IndexContents}.
 */
public final class IndexBuilder {

    private final ModelFingerprint model;
    private final String root;
    private final TreeMap<String, IndexRow> rows = new TreeMap<>();

    /**
     * @param root absolute path of the folder the entries' paths are relative to ({@code ""}: none)
     */
    public IndexBuilder(ModelFingerprint model, String root) {
        this.model = model;
        this.root = root;
    }

    /**
     * Adds (or replaces) the entry of {@code entry.path()}; {@code embedding} is L2-normalised
     * already, as {@link RetrievalPipeline#embedImages} gives it (and as {@link Indexer} stores it).
     */
    public void add(IndexEntry entry, float[] embedding) {
        rows.put(entry.path(), IndexRow.of(entry, embedding, model.dim()));
    }

    public int count() {
        return rows.size();
    }

    public IndexContents build() {
        return contents(model, root, rows);
    }

    /** The rows in path order as one fp16 matrix. */
    static IndexContents contents(ModelFingerprint model, String root, TreeMap<String, IndexRow> rows) {
        int dim = model.dim();
        short[] matrix = new short[Math.multiplyExact(rows.size(), dim)];
        List<IndexEntry> entries = new ArrayList<>(rows.size());
        int r = 0;
        for (IndexRow row : rows.values()) {
            System.arraycopy(row.values(), row.offset(), matrix, r++ * dim, dim);
            entries.add(row.entry());
        }
        return new IndexContents(model, root, entries, matrix);
    }
}
