package org.mix4j.pipelines.retrieval;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** The JSON header of an {@link IndexFile}, written and checked field by field. */
record IndexHeader(ModelFingerprint model, String root, int dim, int count, long entriesBytes) {

    static final String FORMAT = "mix4j-retrieval-index";
    static final int VERSION = 1;

    static JsonObject toJson(IndexContents contents, int entriesBytes) {
        JsonObject model = new JsonObject();
        model.addProperty("checkpoint", contents.model().checkpoint());
        model.addProperty("encoder", contents.model().encoder());
        model.addProperty("hash", contents.model().hash());
        JsonObject h = new JsonObject();
        h.addProperty("format", FORMAT);
        h.addProperty("version", VERSION);
        h.add("model", model);
        h.addProperty("dim", contents.dim());
        h.addProperty("dtype", "float16");
        h.addProperty("count", contents.count());
        h.addProperty("normalized", true);
        h.addProperty("root", contents.root());
        h.addProperty("entries_bytes", entriesBytes);
        return h;
    }

    /** Parses and checks the header bytes. */
    static IndexHeader parse(Path file, ByteBuffer bytes) {
        return of(file, json(file, bytes));
    }

    private static JsonObject json(Path file, ByteBuffer bytes) {
        try {
            JsonElement json = JsonParser.parseString(StandardCharsets.UTF_8.decode(bytes).toString());
            if (!json.isJsonObject()) {
                throw new IndexFileException(file, "corrupt index: the header is not a JSON object");
            }
            return json.getAsJsonObject();
        } catch (RuntimeException e) {
            if (e instanceof IndexFileException ife) {
                throw ife;
            }
            throw new IndexFileException(file, "corrupt index: unreadable header JSON (" + e.getMessage() + ")", e);
        }
    }

    static IndexHeader of(Path file, JsonObject h) {
        if (!FORMAT.equals(string(file, h, "format"))) {
            throw new IndexFileException(file, "not a mix4j retrieval index (format '" + string(file, h, "format") + "')");
        }
        long version = number(file, h, "version", 1, Integer.MAX_VALUE);
        if (version != VERSION) {
            throw new IndexFileException(file, "index format version " + version + " is not supported (this mix4j "
                    + "reads version " + VERSION + "); delete it and run 'mix index' again");
        }
        if (!"float16".equals(string(file, h, "dtype"))) {
            throw new IndexFileException(file, "unsupported embedding dtype '" + string(file, h, "dtype")
                    + "' (expected float16)");
        }
        int dim = (int) number(file, h, "dim", 1, 1 << 16);
        int count = (int) number(file, h, "count", 0, Integer.MAX_VALUE / dim);
        long entriesBytes = number(file, h, "entries_bytes", 0, Integer.MAX_VALUE - 8);
        if (!(h.get("model") instanceof JsonObject m)) {
            throw new IndexFileException(file, "corrupt index: header has no 'model' object");
        }
        ModelFingerprint model = new ModelFingerprint(string(file, m, "checkpoint"), string(file, m, "encoder"),
                string(file, m, "hash"), dim);
        return new IndexHeader(model, string(file, h, "root"), dim, count, entriesBytes);
    }

    private static String string(Path file, JsonObject o, String key) {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw new IndexFileException(file, "corrupt index: header key '" + key + "' is missing or not a string");
        }
        return e.getAsString();
    }

    private static long number(Path file, JsonObject o, String key, long min, long max) {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw new IndexFileException(file, "corrupt index: header key '" + key + "' is missing or not a number");
        }
        double v = e.getAsDouble();
        if (v != Math.rint(v) || v < min || v > max) {
            throw new IndexFileException(file, "corrupt index: header key '" + key + "' = " + e + " is outside ["
                    + min + ", " + max + "]");
        }
        return (long) v;
    }
}
