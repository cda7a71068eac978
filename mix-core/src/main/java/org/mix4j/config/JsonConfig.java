package org.mix4j.config;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mix4j.config.ConfigNode.Origin;

/** Hugging Face JSON configs ({@code config.json}, {@code case.json}, ...) as objects and trees. */
public final class JsonConfig {

    private JsonConfig() {}

    /** Reads a JSON object; errors name the file. */
    public static JsonObject read(Path file) {
        try {
            JsonElement root = JsonParser.parseString(Files.readString(file));
            if (!root.isJsonObject()) {
                throw new ConfigException(file.toString(), 0, 0, "", "expected a JSON object", null);
            }
            return root.getAsJsonObject();
        } catch (IOException e) {
            throw new ConfigException(file.toString(), 0, 0, "", "cannot read: " + e.getMessage(), null);
        } catch (JsonParseException e) {
            Throwable t = e.getCause() != null ? e.getCause() : e;
            throw new ConfigException(file.toString(), 0, 0, "", "invalid JSON: " + t.getMessage(), null);
        }
    }

    /** The object as a config tree whose origin is {@code source}. */
    public static ConfigNode.MapNode toNode(JsonObject object, String source) {
        return (ConfigNode.MapNode) convert(object, Origin.of(source));
    }

    private static ConfigNode convert(JsonElement el, Origin origin) {
        if (el == null || el.isJsonNull()) {
            return new ConfigNode.Scalar(null, origin);
        }
        if (el.isJsonObject()) {
            Map<String, ConfigNode> entries = new LinkedHashMap<>();
            Map<String, Origin> keys = new LinkedHashMap<>();
            for (Map.Entry<String, JsonElement> e : el.getAsJsonObject().entrySet()) {
                entries.put(e.getKey(), convert(e.getValue(), origin));
                keys.put(e.getKey(), origin);
            }
            return new ConfigNode.MapNode(entries, keys, origin);
        }
        if (el.isJsonArray()) {
            List<ConfigNode> items = new ArrayList<>();
            for (JsonElement item : (JsonArray) el) {
                items.add(convert(item, origin));
            }
            return new ConfigNode.ListNode(items, origin);
        }
        JsonPrimitive p = el.getAsJsonPrimitive();
        if (p.isBoolean()) {
            return new ConfigNode.Scalar(p.getAsBoolean(), origin);
        }
        if (p.isNumber()) {
            BigDecimal d = p.getAsBigDecimal();
            try {
                return new ConfigNode.Scalar(d.longValueExact(), origin);
            } catch (ArithmeticException notIntegral) {
                return new ConfigNode.Scalar(d.doubleValue(), origin);
            }
        }
        return new ConfigNode.Scalar(p.getAsString(), origin);
    }

    /** A sub-object such as {@code vision_config}, or {@code null}. */
    public static JsonObject child(JsonObject object, String key) {
        JsonElement e = object == null ? null : object.get(key);
        return e != null && e.isJsonObject() ? e.getAsJsonObject() : null;
    }
}
