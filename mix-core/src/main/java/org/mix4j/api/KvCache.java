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

    @Override
    void close();
}
