package org.mix4j.api;

/**
 * Receives progress of long work (loading, indexing, denoising steps, token streaming). Pipelines
 * call it from the thread doing the work; implementations must be cheap.
 */
public interface ProgressListener {

    /** Ignores everything. */
    ProgressListener NONE = new ProgressListener() {
        @Override
        public void start(String task, long total) {}

        @Override
        public void advance(long steps) {}

        @Override
        public void finish() {}
    };

    /** A new unit of work of {@code total} steps (or -1 when unknown) begins. */
    void start(String task, long total);

    /** {@code steps} more steps are done. */
    void advance(long steps);

    /** The current unit of work is over. */
    void finish();
}
