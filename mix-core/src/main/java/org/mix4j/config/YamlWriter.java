package org.mix4j.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.mix4j.config.ConfigNode.ListNode;
import org.mix4j.config.ConfigNode.MapNode;
import org.mix4j.config.ConfigNode.Scalar;

/**
 * Writes a document tree as YAML that {@link YamlLoader} reads back to the same values: one line
 * per top-level key, nested values in flow style ({@code encoder: { type: clip_vision }}), the
 * way pipeline files are written by hand.
 */
public final class YamlWriter {

    private static final Pattern PLAIN = Pattern.compile("[A-Za-z_][A-Za-z0-9_.\\-]*");
    private static final Set<String> RESERVED = Set.of("true", "false", "yes", "no", "on", "off", "y", "n", "null",
            "~", "nan", ".nan", "inf", ".inf");

    private YamlWriter() {}

    /** The document, each line of {@code comments} first as a {@code #} comment. */
    public static String write(MapNode root, List<String> comments) {
        StringBuilder y = new StringBuilder();
        comments.forEach(c -> y.append("# ").append(c).append('\n'));
        root.entries().forEach((key, value) -> y.append(key(key)).append(": ").append(flow(value)).append('\n'));
        return y.toString();
    }

    static String flow(ConfigNode node) {
        if (node instanceof MapNode m) {
            List<String> parts = new ArrayList<>();
            for (Map.Entry<String, ConfigNode> e : m.entries().entrySet()) {
                parts.add(key(e.getKey()) + ": " + flow(e.getValue()));
            }
            return parts.isEmpty() ? "{}" : "{ " + String.join(", ", parts) + " }";
        }
        if (node instanceof ListNode l) {
            return "[" + String.join(", ", l.items().stream().map(YamlWriter::flow).toList()) + "]";
        }
        Object v = ((Scalar) node).value();
        if (v == null) {
            return "null";
        }
        if (v instanceof Double d) {
            return d.isNaN() ? ".nan" : d.isInfinite() ? (d > 0 ? ".inf" : "-.inf") : Double.toString(d);
        }
        if (v instanceof Number || v instanceof Boolean) {
            return String.valueOf(v);
        }
        return string(String.valueOf(v));
    }

    private static String key(String key) {
        return string(key);
    }

    private static String string(String s) {
        if (PLAIN.matcher(s).matches() && !RESERVED.contains(s.toLowerCase(Locale.ROOT))) {
            return s;
        }
        return "'" + s.replace("'", "''") + "'";
    }
}
