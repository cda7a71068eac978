package org.mix4j.registry;

import java.nio.file.Path;
import java.util.List;

/**
 * Runtime settings chosen by the caller (CLI flags, a service's own config).
 *
 * @param pluginsDirs directories scanned for plugin jars and zips (may not exist)
 */
public record MixSettings(List<Path> pluginsDirs) {

    public MixSettings {
        pluginsDirs = List.copyOf(pluginsDirs);
    }

    /** No plugins: built-in components only. */
    public static MixSettings builtInOnly() {
        return new MixSettings(List.of());
    }

    public static MixSettings withPlugins(Path dir) {
        return new MixSettings(List.of(dir));
    }
}
