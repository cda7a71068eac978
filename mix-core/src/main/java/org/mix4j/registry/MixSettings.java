package org.mix4j.registry;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.mix4j.tensor.TensorParallel;

/**
 * Runtime settings chosen by the caller (CLI flags, a service's own config).
 *
 * @param pluginsDirs directories scanned for plugin jars and zips (may not exist)
 * @param threads how many Java threads a large tensor op is split over when the engine itself runs
 *     one intra-op thread ({@link org.mix4j.tensor.TensorParallel#forEngine}); 1 switches splitting off
 * @param pluginTimeout how long one plugin may take to start, and then to create its extensions; a
 *     plugin still busy after that is reported as not loaded ({@link PluginTimeLimit})
 */
public record MixSettings(List<Path> pluginsDirs, int threads, Duration pluginTimeout) {

    /** The plugin time limit when none is chosen. */
    public static final Duration DEFAULT_PLUGIN_TIMEOUT = Duration.ofSeconds(30);

    public MixSettings {
        pluginsDirs = List.copyOf(pluginsDirs);
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        if (pluginTimeout.isNegative() || pluginTimeout.isZero()) {
            throw new IllegalArgumentException("pluginTimeout must be positive, got " + pluginTimeout);
        }
    }

    public MixSettings(List<Path> pluginsDirs, int threads) {
        this(pluginsDirs, threads, DEFAULT_PLUGIN_TIMEOUT);
    }

    /** No plugins: built-in components only; one thread per available processor. */
    public static MixSettings builtInOnly() {
        return new MixSettings(List.of(), Runtime.getRuntime().availableProcessors());
    }

    public static MixSettings withPlugins(Path dir) {
        return new MixSettings(List.of(dir), Runtime.getRuntime().availableProcessors());
    }

    /** The same settings with another thread count. */
    public MixSettings withThreads(int n) {
        return new MixSettings(pluginsDirs, n, pluginTimeout);
    }

    /** The same settings with another plugin time limit. */
    public MixSettings withPluginTimeout(Duration limit) {
        return new MixSettings(pluginsDirs, threads, limit);
    }
}
