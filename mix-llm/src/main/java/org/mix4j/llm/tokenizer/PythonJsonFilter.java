package org.mix4j.llm.tokenizer;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.AdvancedFilter;
import java.util.Map;

/**
 * {@code tojson} as transformers' template environment defines it: Python's {@code json.dumps}
 * with {@code ensure_ascii=False}, separators {@code ", "} and {@code ": "}, optional
 * {@code indent}. (Jinjava's own {@code tojson} writes compact JSON, which changes tool prompts.)
 */
final class PythonJsonFilter implements AdvancedFilter {

    @Override
    public String getName() {
        return "tojson";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
        Object indentArg = kwargs.containsKey("indent") ? kwargs.get("indent") : args.length > 0 ? args[0] : null;
        int indent = indentArg instanceof Number n ? n.intValue() : -1;
        StringBuilder sb = new StringBuilder();
        write(sb, var, indent, 0);
        return sb.toString();
    }

    private static void write(StringBuilder sb, Object v, int indent, int depth) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof Boolean b) {
            sb.append(b ? "true" : "false");
        } else if (v instanceof Number n) {
            sb.append(n instanceof Double || n instanceof Float ? pythonFloat(n.doubleValue()) : n.toString());
        } else if (v instanceof Map<?, ?> map) {
            writeItems(sb, '{', '}', map.entrySet(), indent, depth, (e, d) -> {
                string(sb, String.valueOf(((Map.Entry<?, ?>) e).getKey()));
                sb.append(": ");
                write(sb, ((Map.Entry<?, ?>) e).getValue(), indent, d);
            });
        } else if (v instanceof Iterable<?> list) {
            writeItems(sb, '[', ']', list, indent, depth, (e, d) -> write(sb, e, indent, d));
        } else if (v instanceof Object[] array) {
            writeItems(sb, '[', ']', java.util.Arrays.asList(array), indent, depth, (e, d) -> write(sb, e, indent, d));
        } else {
            string(sb, v.toString());
        }
    }

    private interface ItemWriter {
        void write(Object item, int depth);
    }

    private static void writeItems(StringBuilder sb, char open, char close, Iterable<?> items, int indent, int depth,
            ItemWriter writer) {
        sb.append(open);
        boolean first = true;
        for (Object item : items) {
            if (!first) {
                sb.append(indent >= 0 ? "," : ", ");
            }
            if (indent >= 0) {
                sb.append('\n').append(" ".repeat(indent * (depth + 1)));
            }
            writer.write(item, depth + 1);
            first = false;
        }
        if (!first && indent >= 0) {
            sb.append('\n').append(" ".repeat(indent * depth));
        }
        sb.append(close);
    }

    private static String pythonFloat(double d) {
        if (d == Math.rint(d) && Math.abs(d) < 1e16) {
            return (long) d + ".0";
        }
        return Double.toString(d);
    }

    private static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
