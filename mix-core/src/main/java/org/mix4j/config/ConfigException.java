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
