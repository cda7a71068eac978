package org.mix4j.spark;

import java.util.List;
import org.mix4j.MixRuntime;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.registry.MixSettings;

/**
 * The mix4j runtime of this JVM for work that loads its own pipeline (the CLIP-score rule of
 * {@code DataMain}'s filter): started on first use, with the built-in components and all of the
 * machine's processors, and kept until the JVM ends.
 */
public final class ExecutorRuntime {

    private static MixRuntime runtime;

    private ExecutorRuntime() {}

    public static synchronized ComponentLoader loader() {
        if (runtime == null) {
            EngineDefaults.apply();
            runtime = MixRuntime.start(new MixSettings(List.of(), Runtime.getRuntime().availableProcessors()));
        }
        return runtime.loader();
    }
}
