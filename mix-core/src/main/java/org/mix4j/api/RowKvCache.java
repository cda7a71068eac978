package org.mix4j.api;

/**
 * Optional capability of a {@link KvCache} whose rows can be filled one at a time: what
 * continuous batching needs. The rows share one column axis of {@link #length()} positions; which
 * columns a row attends to is the caller's attention mask, so a row may start anywhere on it.
 */
public interface RowKvCache extends KvCache {

    /**
     * Copies every position of {@code source} (a cache of batch one from the same model) into row
     * {@code row}, columns {@code [at, at + source.length())}. Other rows are untouched.
     *
     * @throws IllegalArgumentException if the row or the columns lie outside {@code [0, length())}
     */
    void copyRow(int row, int at, KvCache source);

    /**
     * Lengthens the cache to {@code length} columns without writing them: what they hold is stale,
     * so the caller masks them out.
     *
     * @throws IllegalArgumentException if {@code length} is below {@link #length()} or past the capacity
     */
    void grow(int length);

    /**
     * Moves every row's columns {@code columns} to the right, leaving stale columns in front (the
     * caller masks them): room for a longer prompt to join, without a gap inside any row, where a
     * sliding window counted in columns would see one.
     *
     * @throws IllegalArgumentException if the result would pass the capacity
     */
    void padFront(int columns);

    /** Moves row {@code from}'s columns to row {@code to} (which is free): the busy rows stay first. */
    void moveRow(int from, int to);

    /** Drops the first {@code columns} columns of every row and moves the rest to the front. */
    void dropFront(int columns);

    /**
     * A cache over the first {@code rows} rows of this one that shares its memory and its current
     * length, for a step that needs fewer rows (a product of one row is cheaper than of several).
     * Columns written through it belong to this cache once {@link #grow} counts them. Closing it
     * frees nothing of this cache.
     *
     * @param manager where the view lives; it must be closed before this cache
     */
    KvCache firstRows(int rows, ai.djl.ndarray.NDManager manager);
}
