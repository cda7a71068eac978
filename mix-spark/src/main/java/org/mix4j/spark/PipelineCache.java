package org.mix4j.spark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.SparkFiles;
import org.mix4j.MixRuntime;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.registry.MixSettings;

/**
 * The pipelines of this JVM, one per resolved YAML file and runtime options, loaded on first use
 * and kept until the JVM ends: an executor loads a model once and reuses it across partitions,
 * tasks and jobs. Loading happens under the entry's lock, so concurrent tasks wait for the one load
 * instead of loading the model twice.
 */
final class PipelineCache {

    private static final Map<String, LoadedPipeline> PIPELINES = new ConcurrentHashMap<>();
    private static final AtomicInteger LOADS = new AtomicInteger();

    private PipelineCache() {}

    /** The pipeline of {@code options}, loading it when this JVM has not yet. */
    static LoadedPipeline get(JobOptions options) {
        Path yaml = resolve(options.pipeline());
        int threads = options.threads() > 0 ? options.threads() : Runtime.getRuntime().availableProcessors();
        String key = yaml + "|threads=" + threads + "|plugins=" + options.pluginsDir();
        return PIPELINES.computeIfAbsent(key, k -> load(yaml, threads, options.pluginsDir()));
    }

    /** How many pipelines this JVM has loaded (tests check that a second job loads none). */
    static int loads() {
        return LOADS.get();
    }

    private static LoadedPipeline load(Path yaml, int threads, String pluginsDir) {
        EngineDefaults.apply();
        PipelineConfig config = PipelineConfig.load(yaml);
        MixSettings settings = new MixSettings(pluginsDir == null ? List.of() : List.of(Path.of(pluginsDir)), threads);
        MixRuntime runtime = MixRuntime.start(settings);
        LoadedPipeline loaded = LoadedPipeline.load(config, runtime);
        LOADS.incrementAndGet();
        return loaded;
    }

    /**
     * Where the pipeline YAML is on this machine: an absolute path as it is; a relative one against
     * the working directory (YARN puts {@code --files} there), else by its file name among the
     * job's {@code --files} ({@link SparkFiles}, where local mode and Kubernetes put them).
     */
    static Path resolve(String pipeline) {
        Path path = Path.of(pipeline);
        if (Files.isRegularFile(path)) {
            return path.toAbsolutePath().normalize();
        }
        if (!path.isAbsolute()) {
            Path shipped = sparkFile(path.getFileName().toString());
            if (shipped != null && Files.isRegularFile(shipped)) {
                return shipped;
            }
        }
        throw new IllegalArgumentException(pipeline + ": no such pipeline file on this machine (use an absolute "
                + "path on shared storage, or ship it with --files and name it by its file name)");
    }

    private static Path sparkFile(String name) {
        try {
            return Path.of(SparkFiles.get(name));
        } catch (RuntimeException e) {
            return null; // no SparkContext in this JVM
        }
    }
}
