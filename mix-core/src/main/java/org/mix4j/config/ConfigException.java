package org.mix4j.config;

import java.util.Collection;
import java.util.List;

/**
 * A pipeline or component configuration is wrong. The message names the file, line and column,
 * the key path ({@code encoder.patch_sise}) and, where it helps, the keys or values that would be
 * valid.
 */
public class ConfigException extends RuntimeException {

    private final String file;
    private final int line;
    private final int column;
    private final String keyPath;
    private final List<String> validKeys;
    private final String problem;

    /**
     * @param file file name, or a description such as {@code <overrides>}
     * @param line 1-based, or 0 when unknown
     * @param column 1-based, or 0 when unknown
     * @param keyPath dotted path, or empty for the document root
     * @param validKeys keys or values that would have been accepted; empty when not applicable
     */
    public ConfigException(String file, int line, int column, String keyPath, String problem,
            Collection<String> validKeys) {
        super(format(file, line, column, keyPath, problem, validKeys));
        this.file = file;
        this.line = line;
        this.column = column;
        this.keyPath = keyPath;
        this.problem = problem;
        this.validKeys = validKeys == null ? List.of() : List.copyOf(validKeys);
    }

    /**
     * An error at {@code origin}: where the value was written, or for a missing key the enclosing
     * mapping; {@code null} when the caller has no location (a {@link ConfigNode.Origin#UNKNOWN}).
     */
    public ConfigException(ConfigNode.Origin origin, String keyPath, String problem, Collection<String> validKeys) {
        this(origin == null ? null : origin.file(), origin == null ? 0 : origin.line(),
                origin == null ? 0 : origin.column(), keyPath, problem, validKeys);
    }

    /** Where the error is, as an {@link ConfigNode.Origin}. */
    public ConfigNode.Origin origin() {
        return new ConfigNode.Origin(file, line, column);
    }

    /**
     * This error placed at {@code origin} under {@code pathPrefix} when it has no location of its
     * own (a component factory knows its key but not where its section was written); unchanged
     * otherwise.
     */
    public ConfigException locatedAt(ConfigNode.Origin origin, String pathPrefix) {
        if (file != null) {
            return this;
        }
        String path = keyPath == null || keyPath.isEmpty() ? pathPrefix
                : pathPrefix == null || pathPrefix.isEmpty() ? keyPath : pathPrefix + "." + keyPath;
        ConfigException located = new ConfigException(origin, path, problem, validKeys);
        located.setStackTrace(getStackTrace());
        return located;
    }

    private static String format(String file, int line, int column, String keyPath, String problem,
            Collection<String> validKeys) {
        StringBuilder sb = new StringBuilder();
        sb.append(file == null ? "<config>" : file);
        if (line > 0) {
            sb.append(':').append(line);
            if (column > 0) {
                sb.append(':').append(column);
            }
        }
        sb.append(": ");
        if (keyPath != null && !keyPath.isEmpty()) {
            sb.append(keyPath).append(": ");
        }
        sb.append(problem);
        if (validKeys != null && !validKeys.isEmpty()) {
            sb.append(" (valid: ").append(String.join(", ", validKeys)).append(')');
        }
        return sb.toString();
    }

    public String file() {
        return file;
    }

    public int line() {
        return line;
    }

    public int column() {
        return column;
    }

    public String keyPath() {
        return keyPath;
    }

    public String problem() {
        return problem;
    }

    public List<String> validKeys() {
        return validKeys;
    }
}
