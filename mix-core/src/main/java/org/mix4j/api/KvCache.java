package org.mix4j.api;

/**
 * Keys and values of past positions for incremental decoding. Created by
 * {@link LanguageModel#newCache}; owns its native memory.
 */
public interface KvCache extends AutoCloseable {

    /** Number of positions already stored. */
    int length();

    /** Capacity in positions. */
    int capacity();

    /**
     * Forgets every position from {@code length} on, so the next forward writes there: a
     * conversation that keeps its cache rewinds to the prefix its next prompt shares.
     *
     * @throws IllegalArgumentException if {@code length} is negative or past {@link #length()}
     */
    void truncate(int length);

    @Override
    void close();
}
