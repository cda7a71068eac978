package org.mix4j.config;

import java.io.StringReader;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.mix4j.config.ConfigNode.ListNode;
import org.mix4j.config.ConfigNode.MapNode;
import org.mix4j.config.ConfigNode.Origin;
import org.mix4j.config.ConfigNode.Scalar;

/**
 * Binds {@link ConfigNode} trees to records. A component's key is the snake_case form of its name
 * (or {@link Key}). Values come from the YAML section first, then from the checkpoint defaults
 * (its {@code config.json}), then from {@link Default}; a component with none of these is a
 * missing required key unless it is {@link OptionalKey}. Unknown YAML keys are errors that list the
 * valid keys; checkpoint defaults may hold keys the record does not use.
 */
public final class ConfigBinder {

    private ConfigBinder() {}

    /** Binds with no checkpoint defaults. */
    public static <R extends Record> R bind(Class<R> type, MapNode yaml, String path) {
        return bind(type, yaml, null, path, Set.of());
    }

    /**
     * @param yaml the YAML section (may be {@code null} when absent)
     * @param defaults values from the checkpoint config (may be {@code null})
     * @param path the key path of the section, for messages
     * @param extraKeys keys the caller handles itself; they are accepted and not bound
     */
    public static <R extends Record> R bind(Class<R> type, MapNode yaml, MapNode defaults, String path,
            Set<String> extraKeys) {
        MapNode section = yaml != null ? yaml : new MapNode(Map.of(), Map.of(), Origin.of("<defaults>"));
        RecordComponent[] components = type.getRecordComponents();
        if (components == null) {
            throw new IllegalArgumentException(type + " is not a record");
        }
        Map<String, RecordComponent> byKey = new LinkedHashMap<>();
        for (RecordComponent c : components) {
            byKey.put(keyOf(c), c);
        }
        for (String key : section.entries().keySet()) {
            if (!byKey.containsKey(key) && !extraKeys.contains(key)) {
                Origin o = section.keyOrigin(key);
                List<String> valid = new ArrayList<>(extraKeys);
                valid.addAll(byKey.keySet());
                throw new ConfigException(o.file(), o.line(), o.column(), join(path, key), "unknown key"
                        + suggestion(key, valid), valid);
            }
        }
        Object[] args = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            RecordComponent c = components[i];
            String key = keyOf(c);
            types[i] = c.getType();
            ConfigNode node = present(section.get(key));
            ConfigNode fallback = defaults == null ? null : present(defaults.get(key));
            if (node == null) {
                node = fallback;
                fallback = null;
            }
            if (node == null && c.isAnnotationPresent(Default.class)) {
                node = parseDefault(type, c);
            }
            if (node == null) {
                if (c.getType().isPrimitive() || !c.isAnnotationPresent(OptionalKey.class)) {
                    Origin o = section.origin();
                    throw new ConfigException(o.file(), o.line(), o.column(), join(path, key),
                            "missing required key", null);
                }
                args[i] = null;
                continue;
            }
            MapNode nestedDefaults = fallback instanceof MapNode m ? m : null;
            args[i] = convert(node, c.getGenericType(), join(path, key), nestedDefaults);
        }
        try {
            Constructor<R> ctor = type.getDeclaredConstructor(types);
            ctor.setAccessible(true);
            return ctor.newInstance(args);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof ConfigException ce) {
                throw ce;
            }
            throw constructorError(section, path, byKey.keySet(), cause);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot construct " + type.getName(), e);
        }
    }

    /**
     * A compact constructor's check as a config error. Checks name the key they test first
     * ({@code "strength must be in (0, 1], got 2"}), so the error points at that value: its line, or
     * the command-line flag an override came from.
     */
    private static ConfigException constructorError(MapNode section, String path, Set<String> keys, Throwable cause) {
        String message = cause.getMessage() == null ? cause.toString() : cause.getMessage();
        for (String key : keys) {
            if (message.startsWith(key + " ")) {
                ConfigNode value = present(section.get(key));
                Origin o = value != null ? value.origin() : section.origin();
                return new ConfigException(o, join(path, key), message, null);
            }
        }
        return new ConfigException(section.origin(), path, message, null);
    }

    /**
     * Checks a section's keys and the types of the values present without requiring anything:
     * what can be validated when the checkpoint that supplies the other values is not at hand.
     */
    public static void checkKeys(Class<? extends Record> type, MapNode yaml, String path, Set<String> extraKeys) {
        Map<String, RecordComponent> byKey = new LinkedHashMap<>();
        for (RecordComponent c : type.getRecordComponents()) {
            byKey.put(keyOf(c), c);
        }
        for (Map.Entry<String, ConfigNode> e : yaml.entries().entrySet()) {
            RecordComponent c = byKey.get(e.getKey());
            if (c == null) {
                if (extraKeys.contains(e.getKey())) {
                    continue;
                }
                Origin o = yaml.keyOrigin(e.getKey());
                List<String> valid = new ArrayList<>(extraKeys);
                valid.addAll(byKey.keySet());
                throw new ConfigException(o.file(), o.line(), o.column(), join(path, e.getKey()), "unknown key"
                        + suggestion(e.getKey(), valid), valid);
            }
            ConfigNode value = present(e.getValue());
            if (value == null) {
                continue;
            }
            if (c.getType().isRecord() && value instanceof MapNode m) {
                @SuppressWarnings("unchecked")
                Class<? extends Record> nested = (Class<? extends Record>) c.getType();
                checkKeys(nested, m, join(path, e.getKey()), Set.of());
            } else {
                convert(value, c.getGenericType(), join(path, e.getKey()), null);
            }
        }
    }

    /** The YAML keys a record accepts, in declaration order. */
    public static List<String> keys(Class<? extends Record> type) {
        return Arrays.stream(type.getRecordComponents()).map(ConfigBinder::keyOf).toList();
    }

    public static String keyOf(RecordComponent c) {
        Key key = c.getAnnotation(Key.class);
        return key != null ? key.value() : snake(c.getName());
    }

    static String snake(String camel) {
        StringBuilder sb = new StringBuilder();
        for (char ch : camel.toCharArray()) {
            if (Character.isUpperCase(ch)) {
                sb.append('_').append(Character.toLowerCase(ch));
            } else {
                sb.append(ch);
            }
        }
        return sb.toString();
    }

    private static ConfigNode present(ConfigNode node) {
        return node instanceof Scalar s && s.value() == null ? null : node;
    }

    private static ConfigNode parseDefault(Class<?> owner, RecordComponent c) {
        String text = c.getAnnotation(Default.class).value();
        MapNode doc = new YamlLoader(EnvExpander.of(Map.of()))
                .load(new StringReader("v: " + text), "@Default of " + owner.getSimpleName() + "." + c.getName());
        return present(doc.get("v"));
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    static Object convert(ConfigNode node, Type type, String path, MapNode nestedDefaults) {
        Class<?> raw = rawClass(type);
        if (raw == ConfigNode.class) {
            return node;
        }
        if (raw == MapNode.class) {
            return expectMap(node, path);
        }
        if (raw.isRecord()) {
            return bind((Class<? extends Record>) raw, expectMap(node, path), nestedDefaults, path, Set.of());
        }
        if (List.class.isAssignableFrom(raw) || Collection.class == raw || Set.class == raw) {
            Type item = ((ParameterizedType) type).getActualTypeArguments()[0];
            List<ConfigNode> items = node instanceof ListNode l ? l.items() : List.of(node);
            List<Object> out = new ArrayList<>();
            for (int i = 0; i < items.size(); i++) {
                out.add(convert(items.get(i), item, path + "[" + i + "]", null));
            }
            return Set.class == raw ? Set.copyOf(new LinkedHashSet<>(out)) : List.copyOf(out);
        }
        if (Map.class.isAssignableFrom(raw)) {
            Type value = ((ParameterizedType) type).getActualTypeArguments()[1];
            MapNode m = expectMap(node, path);
            Map<String, Object> out = new LinkedHashMap<>();
            m.entries().forEach((k, v) -> out.put(k, convert(v, value, join(path, k), null)));
            return java.util.Collections.unmodifiableMap(out);
        }
        if (raw.isArray()) {
            List<ConfigNode> items = node instanceof ListNode l ? l.items() : List.of(node);
            Object array = java.lang.reflect.Array.newInstance(raw.getComponentType(), items.size());
            for (int i = 0; i < items.size(); i++) {
                java.lang.reflect.Array.set(array, i, convert(items.get(i), raw.getComponentType(), path + "[" + i + "]", null));
            }
            return array;
        }
        return scalar(node, raw, path);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object scalar(ConfigNode node, Class<?> raw, String path) {
        if (!(node instanceof Scalar s)) {
            throw wrong(node, path, "expected a single " + describe(raw) + ", got a "
                    + (node instanceof MapNode ? "mapping" : "list"), null);
        }
        Object v = s.value();
        if (raw == String.class) {
            return String.valueOf(v);
        }
        if (raw == Path.class) {
            return Path.of(String.valueOf(v));
        }
        if (raw == int.class || raw == Integer.class || raw == long.class || raw == Long.class) {
            long x;
            if (v instanceof Long l) {
                x = l;
            } else if (v instanceof Double d && d == Math.rint(d) && Math.abs(d) < 9e15) {
                x = d.longValue();
            } else {
                throw wrong(node, path, "expected an integer, got " + quote(v), null);
            }
            if ((raw == int.class || raw == Integer.class) && (x < Integer.MIN_VALUE || x > Integer.MAX_VALUE)) {
                throw wrong(node, path, "integer " + x + " is out of range", null);
            }
            return raw == int.class || raw == Integer.class ? (Object) (int) x : (Object) x;
        }
        if (raw == double.class || raw == Double.class || raw == float.class || raw == Float.class) {
            double x;
            if (v instanceof Number n) {
                x = n.doubleValue();
            } else if (v instanceof String str && str.strip().matches("[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?")) {
                x = Double.parseDouble(str.strip()); // YAML 1.1 reads "1e-5" as a string
            } else {
                throw wrong(node, path, "expected a number, got " + quote(v), null);
            }
            return raw == float.class || raw == Float.class ? (Object) (float) x : (Object) x;
        }
        if (raw == boolean.class || raw == Boolean.class) {
            if (v instanceof Boolean b) {
                return b;
            }
            throw wrong(node, path, "expected true or false, got " + quote(v), null);
        }
        if (raw.isEnum()) {
            String text = String.valueOf(v).trim().toUpperCase(Locale.ROOT).replace('-', '_');
            for (Object constant : raw.getEnumConstants()) {
                if (((Enum) constant).name().equals(text)) {
                    return constant;
                }
            }
            List<String> valid = Arrays.stream(raw.getEnumConstants())
                    .map(e -> ((Enum) e).name().toLowerCase(Locale.ROOT)).toList();
            throw wrong(node, path, "unknown value " + quote(v), valid);
        }
        if (raw == Object.class) {
            return v;
        }
        throw new IllegalArgumentException("config type " + raw + " is not supported (at " + path + ")");
    }

    private static MapNode expectMap(ConfigNode node, String path) {
        if (node instanceof MapNode m) {
            return m;
        }
        throw wrong(node, path, "expected a mapping of keys", null);
    }

    private static ConfigException wrong(ConfigNode node, String path, String problem, List<String> valid) {
        Origin o = node.origin();
        return new ConfigException(o.file(), o.line(), o.column(), path, problem, valid);
    }

    private static Class<?> rawClass(Type type) {
        if (type instanceof Class<?> c) {
            return c;
        }
        if (type instanceof ParameterizedType p) {
            return (Class<?>) p.getRawType();
        }
        throw new IllegalArgumentException("unsupported config type " + type);
    }

    private static String describe(Class<?> raw) {
        if (raw == int.class || raw == Integer.class || raw == long.class || raw == Long.class) {
            return "integer";
        }
        if (raw == double.class || raw == Double.class || raw == float.class || raw == Float.class) {
            return "number";
        }
        if (raw == boolean.class || raw == Boolean.class) {
            return "boolean";
        }
        return "value";
    }

    private static String quote(Object v) {
        return v instanceof String ? "'" + v + "'" : String.valueOf(v);
    }

    static String join(String path, String key) {
        return path == null || path.isEmpty() ? key : path + "." + key;
    }

    /** "did you mean" for a misspelt key: the valid key closest in edit distance, when close. */
    static String suggestion(String key, Collection<String> valid) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String v : valid) {
            int d = distance(key, v);
            if (d < bestDistance) {
                bestDistance = d;
                best = v;
            }
        }
        return best != null && bestDistance <= Math.max(2, key.length() / 4) ? " (did you mean '" + best + "'?)" : "";
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
