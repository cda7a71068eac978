package org.mix4j.serve;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.TypeAdapter;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;

/** Typed reads of a request's JSON fields; a wrong type is a 400 naming the field. A JSON null is absent. */
final class JsonFields {

    private static final TypeAdapter<JsonElement> ELEMENTS = new Gson().getAdapter(JsonElement.class);

    private JsonFields() {}

    /** A request body: one strict JSON object and nothing after it, else a 400. */
    static JsonObject body(String body) {
        JsonElement root = strictJson(body);
        if (!root.isJsonObject()) {
            throw ApiError.invalid(null, "the body must be a JSON object");
        }
        return root.getAsJsonObject();
    }


    static JsonElement present(JsonObject o, String key) {
        JsonElement e = o.get(key);
        return e == null || e.isJsonNull() ? null : e;
    }

    static String string(JsonObject o, String key, boolean required) {
        return string(o, key, required, key);
    }

    static String string(JsonObject o, String key, boolean required, String param) {
        JsonElement e = present(o, key);
        if (e == null) {
            if (required) {
                throw ApiError.invalid(param, "missing required field '" + param + "'");
            }
            return null;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw ApiError.invalid(param, param + " must be a string, got " + e);
        }
        return e.getAsString();
    }

    static Double number(JsonObject o, String key) {
        JsonElement e = present(o, key);
        if (e == null) {
            return null;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw ApiError.invalid(key, key + " must be a number, got " + e);
        }
        return e.getAsDouble();
    }

    static Integer integer(JsonObject o, String key) {
        Double d = number(o, key);
        if (d == null) {
            return null;
        }
        if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
            throw ApiError.invalid(key, key + " must be an integer, got " + d);
        }
        return d.intValue();
    }

    static Boolean bool(JsonObject o, String key) {
        return bool(o, key, key);
    }

    static Boolean bool(JsonObject o, String key, String param) {
        JsonElement e = present(o, key);
        if (e == null) {
            return null;
        }
        if (!(e instanceof JsonPrimitive p) || !p.isBoolean()) {
            throw ApiError.invalid(param, param + " must be true or false, got " + e);
        }
        return p.getAsBoolean();
    }

    private static JsonElement strictJson(String body) {
        try {
            JsonReader reader = new JsonReader(new StringReader(body));
            reader.setStrictness(Strictness.STRICT);
            JsonElement root = ELEMENTS.read(reader);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new IOException("text after the JSON value");
            }
            return root;
        } catch (IOException | RuntimeException e) {
            throw ApiError.invalid(null, "the body is not valid JSON: " + rootCause(e));
        }
    }

    private static String rootCause(Throwable e) {
        while (e.getCause() != null) {
            e = e.getCause();
        }
        return e.getMessage();
    }
}
