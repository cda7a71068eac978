package org.mix4j.registry;

import java.nio.file.Path;
import java.util.List;

/**
 * A plugin found in the plugins directory, loaded or not.
 *
 * @param id plugin id, or the file name when the descriptor could not be read
 * @param version plugin version, or empty
 * @param path where it was found
 * @param loaded whether its components are registered
 * @param types its registered component types
 * @param error why it was skipped, or {@code null}
 */
public record PluginStatus(String id, String version, Path path, boolean loaded, List<String> types, String error) {}
