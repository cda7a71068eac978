package org.mix4j.spark;

/**
 * The engine settings the {@code ./mix} launcher gives the JVM, applied in executors that were
 * started without them (before the engine loads; a value set with
 * {@code spark.executor.extraJavaOptions} wins): no downloads, and PyTorch on one thread, since
 * mix4j splits large ops over its own threads ({@code --threads}).
 */
final class EngineDefaults {

    private EngineDefaults() {}

    static void apply() {
        setIfAbsent("ai.djl.offline", "true");
        setIfAbsent("ai.djl.pytorch.num_threads", "1");
        setIfAbsent("ai.djl.pytorch.num_interop_threads", "1");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
