package org.mix4j.weights;

import ai.djl.ndarray.types.Shape;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses a safetensors JSON header as strictly as the reference ({@code serde_json} in the Rust
 * crate): strict JSON (no comments, unquoted keys or single quotes), valid UTF-8, no duplicate
 * keys, string-only metadata, non-negative integer shapes and offsets. The header is streamed, so
 * a hostile one is refused at its first bad token without building a tree of it.
 */
final class SafeTensorsHeader {

    /** Longest accepted shape; the reference has no limit, but no real tensor comes close. */
    static final int MAX_RANK = 64;

    private static final String METADATA = "__metadata__";

    private final Path path;
    private final Map<String, TensorInfo> tensors = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    private SafeTensorsHeader(Path path) {
        this.path = path;
    }

    /** Parses the header read from {@code in} (exactly the header's bytes) into tensors and metadata. */
    static SafeTensorsHeader parse(Path path, InputStream in, long dataSize) {
        SafeTensorsHeader header = new SafeTensorsHeader(path);
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try (JsonReader json = new JsonReader(new InputStreamReader(in, decoder))) {
            json.setStrictness(Strictness.STRICT);
            header.readRoot(json, dataSize);
        } catch (CharacterCodingException e) {
            throw fail(path, "not a safetensors file: header is not valid UTF-8");
        } catch (IOException | IllegalStateException e) {
            throw fail(path, "not a safetensors file: header is not valid JSON: " + jsonProblem(e.getMessage()));
        }
        return header;
    }

    Map<String, TensorInfo> tensors() {
        return tensors;
    }

    Map<String, String> metadata() {
        return metadata;
    }

    private void readRoot(JsonReader json, long dataSize) throws IOException {
        if (json.peek() != JsonToken.BEGIN_OBJECT) {
            throw fail(path, "not a safetensors file: header must be a JSON object");
        }
        json.beginObject();
        Set<String> seen = new HashSet<>();
        while (json.hasNext()) {
            String name = json.nextName();
            if (!seen.add(name)) {
                throw fail(path, "header has the key '" + name + "' twice");
            }
            if (name.equals(METADATA)) {
                readMetadata(json);
            } else {
                tensors.put(name, readEntry(json, name, dataSize));
            }
        }
        json.endObject();
        if (json.peek() != JsonToken.END_DOCUMENT) {
            throw fail(path, "header has data after its JSON object");
        }
    }

    private void readMetadata(JsonReader json) throws IOException {
        if (json.peek() == JsonToken.NULL) {
            json.nextNull();
            return;
        }
        if (json.peek() != JsonToken.BEGIN_OBJECT) {
            throw fail(path, METADATA + " must be an object of strings");
        }
        json.beginObject();
        while (json.hasNext()) {
            String key = json.nextName();
            if (metadata.containsKey(key)) {
                throw fail(path, METADATA + " has the key '" + key + "' twice");
            }
            if (json.peek() != JsonToken.STRING) {
                throw fail(path, METADATA + "." + key + " must be a string, not " + describe(json.peek()));
            }
            metadata.put(key, json.nextString());
        }
        json.endObject();
    }

    private TensorInfo readEntry(JsonReader json, String name, long dataSize) throws IOException {
        if (json.peek() != JsonToken.BEGIN_OBJECT) {
            throw fail(path, name, "header entry must be an object with dtype, shape and data_offsets");
        }
        json.beginObject();
        SafeDType dtype = null;
        long[] dims = null;
        long[] offsets = null;
        Set<String> fields = new HashSet<>();
        while (json.hasNext()) {
            String field = json.nextName();
            if (!fields.add(field)) {
                throw fail(path, name, "has the field '" + field + "' twice");
            }
            switch (field) {
                case "dtype" -> dtype = readDtype(json, name);
                case "shape" -> dims = readLongs(json, name, field, MAX_RANK);
                case "data_offsets" -> offsets = readLongs(json, name, field, 2);
                default -> json.skipValue(); // as serde does: unknown fields are ignored
            }
        }
        json.endObject();
        if (dtype == null) {
            throw fail(path, name, "missing dtype");
        }
        if (dims == null || offsets == null) {
            throw fail(path, name, "missing " + (dims == null ? "shape" : "data_offsets"));
        }
        if (offsets.length != 2) {
            throw fail(path, name, "data_offsets must have 2 entries, has " + offsets.length);
        }
        return check(name, dtype, dims, offsets[0], offsets[1], dataSize);
    }

    private SafeDType readDtype(JsonReader json, String name) throws IOException {
        if (json.peek() != JsonToken.STRING) {
            throw fail(path, name, "dtype must be a string, not " + describe(json.peek()));
        }
        String text = json.nextString();
        SafeDType dtype = SafeDType.parse(text);
        if (dtype == null) {
            String shown = text.length() > 40 ? text.substring(0, 40) + "..." : text;
            throw fail(path, name, "unknown dtype '" + shown + "' (supported: " + SafeDType.known() + ")");
        }
        return dtype;
    }

    /** An array of at most {@code max} non-negative integers that fit a long. */
    private long[] readLongs(JsonReader json, String name, String field, int max) throws IOException {
        if (json.peek() != JsonToken.BEGIN_ARRAY) {
            throw fail(path, name, "missing or non-array " + field);
        }
        json.beginArray();
        List<Long> values = new ArrayList<>();
        while (json.hasNext()) {
            if (values.size() == max) {
                throw fail(path, name, field + " has more than " + max + " entries");
            }
            if (json.peek() != JsonToken.NUMBER) {
                throw fail(path, name, field + " holds a non-integer " + describe(json.peek()));
            }
            String text = json.nextString(); // the number's literal text, however long
            if (text.startsWith("-") && text.length() > 1 && text.chars().skip(1).allMatch(Character::isDigit)) {
                throw fail(path, name, field + " holds a negative value " + abbreviate(text));
            }
            if (!text.chars().allMatch(Character::isDigit) || text.length() > 19) {
                throw fail(path, name, field + " holds a non-integer " + abbreviate(text));
            }
            try {
                values.add(Long.parseLong(text));
            } catch (NumberFormatException e) {
                throw fail(path, name, field + " holds " + text + ", too large");
            }
        }
        json.endArray();
        return values.stream().mapToLong(Long::longValue).toArray();
    }

    private TensorInfo check(String name, SafeDType dtype, long[] dims, long begin, long end, long dataSize) {
        if (begin > end) {
            throw fail(path, name, "data_offsets [" + begin + ", " + end + "] are out of order");
        }
        if (end > dataSize) {
            throw fail(path, name, "data_offsets [" + begin + ", " + end + "] run past the end of the data ("
                    + dataSize + " bytes; file truncated or offsets out of range)");
        }
        try {
            long elements = 1;
            for (long d : dims) {
                elements = Math.multiplyExact(elements, d);
            }
            long expectedBytes = Math.multiplyExact(elements, dtype.bytes());
            if (expectedBytes != end - begin) {
                throw fail(path, name, "shape " + new Shape(dims) + " x " + dtype + " is " + expectedBytes
                        + " bytes but data_offsets span " + (end - begin));
            }
        } catch (ArithmeticException overflow) {
            throw fail(path, name, "shape " + Arrays.toString(dims) + " overflows");
        }
        return new TensorInfo(name, dtype, new Shape(dims), begin, end);
    }

    private static String describe(JsonToken token) {
        return token.name().toLowerCase(java.util.Locale.ROOT).replace("begin_", "");
    }

    private static String abbreviate(String text) {
        return text.length() > 24 ? text.substring(0, 24) + "..." : text;
    }

    /**
     * Gson's message in one line: without the troubleshooting link it appends, and without its
     * advice to parse leniently, which is what this class must not do.
     */
    private static String jsonProblem(String message) {
        if (message == null) {
            return "unexpected end of the header";
        }
        int nl = message.indexOf('\n');
        String line = nl < 0 ? message : message.substring(0, nl);
        String advice = "Use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON";
        return line.startsWith(advice)
                ? "strict JSON expected (no comments, unquoted keys or values, single quotes)" + line.substring(advice.length())
                : line;
    }

    private static CheckpointException fail(Path path, String message) {
        return new CheckpointException(SafeTensorsFile.where(path) + ": " + message);
    }

    private static CheckpointException fail(Path path, String tensor, String message) {
        return new CheckpointException(SafeTensorsFile.where(path) + ": tensor '" + tensor + "': " + message);
    }
}
