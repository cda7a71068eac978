package org.mix4j.api;

/**
 * A loaded building block. It owns the native memory of its weights and releases it on
 * {@link #close()}.
 */
public interface Component extends AutoCloseable {

    /** Releases the weights' native memory. Calling it twice is harmless. */
    @Override
    void close();
}
