package org.mix4j.pipelines.task;

import org.mix4j.config.Default;

/** Top-level settings of {@code task: retrieval}. */
public record RetrievalSettings(@Default("32") int batchSize, @Default("10") int topK) {}
