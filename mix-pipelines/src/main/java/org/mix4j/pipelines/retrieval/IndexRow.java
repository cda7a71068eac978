package org.mix4j.pipelines.retrieval;

/** An entry and where its fp16 embedding lives ({@code dim} values of {@code values} from {@code offset}). */
record IndexRow(IndexEntry entry, short[] values, int offset) {

    /** A freshly encoded row: {@code embedding} rounded to fp16. */
    static IndexRow of(IndexEntry entry, float[] embedding, int dim) {
        if (embedding.length != dim) {
            throw new IllegalStateException("the encoder returned an embedding of width " + embedding.length
                    + ", expected " + dim);
        }
        short[] half = new short[dim];
        for (int i = 0; i < dim; i++) {
            half[i] = Fp16.fromFloat(embedding[i]);
        }
        return new IndexRow(entry, half, 0);
    }

    /** Row {@code row} of an index read from disk, shared with it. */
    static IndexRow of(IndexContents contents, int row) {
        return new IndexRow(contents.entries().get(row), contents.embeddings(), row * contents.dim());
    }
}
