package org.mix4j.data;

import ai.djl.ndarray.NDManager;
import java.io.Serializable;
import java.nio.file.Path;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.pipelines.Pipelines;

/**
 * A pipeline a data operator runs (the CLIP score's retrieval pipeline, the tagger's understanding
 * one), loaded from its YAML on first use in a manager of its own. Serializable: a copy (a Spark
 * executor's) holds only the YAML path and loads its own pipeline once given a loader.
 *
 * @param <P> the pipeline type
 */
public final class PipelineOnFirstUse<P extends AutoCloseable> implements Serializable, AutoCloseable {

    /** How the pipeline loads ({@code RetrievalPipeline::load}). */
    @FunctionalInterface
    public interface Load<P> extends Serializable {
        P load(PipelineConfig config, ComponentLoader loader, NDManager manager);
    }

    private final String yaml;
    private final Load<P> load;
    private final String user;
    private transient ComponentLoader loader;
    private transient NDManager manager;
    private transient P pipeline;

    /**
     * @param user who needs it, for the message when there is no loader ({@code clip_score})
     * @param loader the runtime's component loader (may be {@code null} until {@link #withLoader})
     */
    public PipelineOnFirstUse(Path yaml, Load<P> load, String user, ComponentLoader loader) {
        this.yaml = yaml.toString();
        this.load = load;
        this.user = user;
        this.loader = loader;
    }

    /** Gives a deserialized copy the loader of the runtime it runs in. */
    public synchronized void withLoader(ComponentLoader componentLoader) {
        this.loader = componentLoader;
    }

    public synchronized P get() {
        if (pipeline == null) {
            if (loader == null) {
                throw new IllegalStateException(user + ": no component loader; give it the runtime's (withLoader)");
            }
            NDManager owned = NDManager.newBaseManager();
            try {
                pipeline = load.load(Pipelines.fromYaml(Path.of(yaml)), loader, owned);
            } catch (RuntimeException e) {
                owned.close();
                throw e;
            }
            manager = owned;
        }
        return pipeline;
    }

    @Override
    public synchronized void close() {
        if (pipeline != null) {
            try {
                pipeline.close();
            } catch (Exception e) {
                throw new IllegalStateException(user + ": cannot close its pipeline: " + e.getMessage(), e);
            } finally {
                manager.close();
                pipeline = null;
            }
        }
    }
}
