package org.mix4j.pipelines.task;

import java.io.PrintWriter;
import org.mix4j.api.ProgressListener;
import org.mix4j.compose.ComponentLoader;
import org.pf4j.ExtensionPoint;

/**
 * Runs pipelines of one {@code task:} for {@code mix run}. Modules contribute the tasks they
 * implement (understanding, text, generation, retrieval).
 */
public interface TaskRunner extends ExtensionPoint {

    /** The {@code task:} value handled. */
    String task();

    /**
     * Builds the pipeline, runs it once, streams text to {@code out}.
     *
     * @return the process exit code
     */
    int run(PipelineConfig config, RunOptions options, ComponentLoader loader, PrintWriter out, PrintWriter err,
            ProgressListener progress)
            throws Exception;
}
