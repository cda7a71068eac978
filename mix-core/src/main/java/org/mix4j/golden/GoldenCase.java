package org.mix4j.golden;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.mix4j.config.JsonConfig;
import org.mix4j.weights.SafeTensorsFile;

/**
 * One fixture directory: {@code case.json}, {@code io.safetensors} with inputs and expected
 * outputs, and the checkpoint files it names.
 */
public final class GoldenCase {

    private final Path dir;
    private final JsonObject json;
    private final String name;

    public GoldenCase(Path dir, String name) {
        this.dir = dir;
        this.name = name;
        this.json = JsonConfig.read(dir.resolve("case.json"));
    }

    /** The case's directory. */
    public Path dir() {
        return dir;
    }

    /** A short name: the directory relative to the root it was found under. */
    public String name() {
        return name;
    }

    /** The whole {@code case.json}. */
    public JsonObject json() {
        return json;
    }

    public String kind() {
        JsonElement k = json.get("kind");
        return k == null || !k.isJsonPrimitive() ? "<no kind>" : k.getAsString();
    }

    public List<String> inputs() {
        return strings("inputs");
    }

    public List<String> outputs() {
        return strings("outputs");
    }

    /** A string-list field of {@code case.json}; empty when absent. */
    public List<String> strings(String field) {
        List<String> out = new ArrayList<>();
        JsonElement e = json.get(field);
        if (e != null && e.isJsonArray()) {
            e.getAsJsonArray().forEach(x -> out.add(x.getAsString()));
        }
        return out;
    }

    /** A file of the case, relative to its directory. */
    public Path file(String relative) {
        return dir.resolve(relative);
    }

    /** The model config named by {@code case.json config} (default {@code config.json}). */
    public JsonObject config() {
        JsonElement c = json.get("config");
        return JsonConfig.read(dir.resolve(c != null && c.isJsonPrimitive() ? c.getAsString() : "config.json"));
    }

    /** An input or expected output tensor from {@code io.safetensors}, in its stored dtype. */
    public NDArray tensor(String tensorName, NDManager manager) {
        try (SafeTensorsFile io = SafeTensorsFile.open(dir.resolve("io.safetensors"))) {
            return io.read(tensorName, manager);
        }
    }

    /** Whether {@code io.safetensors} holds {@code tensorName}. */
    public boolean hasTensor(String tensorName) {
        try (SafeTensorsFile io = SafeTensorsFile.open(dir.resolve("io.safetensors"))) {
            return io.tensors().containsKey(tensorName);
        }
    }

    public double number(String field) {
        return json.get(field).getAsDouble();
    }

    @Override
    public String toString() {
        return name + " (" + kind() + ")";
    }
}
