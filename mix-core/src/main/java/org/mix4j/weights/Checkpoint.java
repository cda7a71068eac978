package org.mix4j.weights;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The safetensors files of one model: a single file, a directory with one file, or a sharded
 * checkpoint described by {@code *.safetensors.index.json}. Names are unique across shards.
 */
public final class Checkpoint implements AutoCloseable {

    private final Path location;
    private final List<SafeTensorsFile> files;
    private final Map<String, SafeTensorsFile> owner;
    private final Map<String, TensorInfo> tensors;
    private final long totalElements;

    private Checkpoint(Path location, List<SafeTensorsFile> files, Map<String, SafeTensorsFile> owner) {
        this.location = location;
        this.files = files;
        this.owner = owner;
        Map<String, TensorInfo> all = new LinkedHashMap<>();
        long total = 0;
        for (SafeTensorsFile f : files) {
            all.putAll(f.tensors());
            for (TensorInfo t : f.tensors().values()) {
                total += t.shape().size(); // bounded by the file sizes: headers are validated
            }
        }
        this.tensors = Collections.unmodifiableMap(all);
        this.totalElements = total;
    }

    /**
     * Opens a {@code .safetensors} file or a directory holding one, or a sharded checkpoint with its
     * index. In a directory, {@code model.safetensors} and {@code diffusion_pytorch_model.safetensors}
     * are preferred; other {@code .safetensors} files are then ignored.
     */
    public static Checkpoint open(Path location) {
        if (!Files.exists(location)) {
            throw new CheckpointException(location + ": no such file or directory");
        }
        if (Files.isRegularFile(location)) {
            if (location.getFileName().toString().endsWith(".index.json")) {
                return openIndexed(location);
            }
            return of(location, List.of(location));
        }
        List<Path> indexes = list(location, "safetensors.index.json");
        for (String preferred : List.of("model.safetensors.index.json", "diffusion_pytorch_model.safetensors.index.json")) {
            if (Files.isRegularFile(location.resolve(preferred))) {
                return openIndexed(location.resolve(preferred));
            }
        }
        for (String preferred : List.of("model.safetensors", "diffusion_pytorch_model.safetensors")) {
            if (Files.isRegularFile(location.resolve(preferred))) {
                return of(location, List.of(location.resolve(preferred)));
            }
        }
        if (indexes.size() == 1) {
            return openIndexed(indexes.get(0));
        }
        List<Path> all = list(location, ".safetensors");
        if (all.isEmpty()) {
            throw new CheckpointException(location + ": no .safetensors file in this directory");
        }
        return of(location, all);
    }

    private static Checkpoint openIndexed(Path index) {
        JsonObject weightMap;
        try {
            JsonElement root = JsonParser.parseString(Files.readString(index));
            JsonElement map = root.isJsonObject() ? root.getAsJsonObject().get("weight_map") : null;
            if (map == null || !map.isJsonObject()) {
                throw new CheckpointException(index + ": no \"weight_map\" object");
            }
            weightMap = map.getAsJsonObject();
        } catch (IOException e) {
            throw new CheckpointException(index + ": cannot read: " + e.getMessage(), e);
        } catch (JsonParseException e) {
            // Gson wraps the reader's message (class name first) and adds a line pointing at its troubleshooting page
            String why = String.valueOf((e.getCause() != null ? e.getCause() : e).getMessage());
            throw new CheckpointException(index + ": not a valid index file: " + why.lines().findFirst().orElse(""), e);
        }
        Map<String, List<String>> namesByShard = new TreeMap<>();
        for (Map.Entry<String, JsonElement> e : weightMap.entrySet()) {
            JsonElement value = e.getValue();
            if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isString()) {
                throw new CheckpointException(index + ": weight_map entry '" + e.getKey()
                        + "' must be a file name, got " + value);
            }
            String shard = value.getAsString();
            if (shard.contains("/") || shard.contains("\\") || shard.startsWith(".")) {
                throw new CheckpointException(index + ": tensor '" + e.getKey() + "': shard name '" + shard
                        + "' must be a plain file name in the same directory");
            }
            namesByShard.computeIfAbsent(shard, k -> new ArrayList<>()).add(e.getKey());
        }
        Path dir = index.toAbsolutePath().getParent();
        List<Path> shards = namesByShard.keySet().stream().map(dir::resolve).toList();
        Checkpoint checkpoint = of(dir, shards);
        for (Map.Entry<String, List<String>> e : namesByShard.entrySet()) {
            for (String name : e.getValue()) {
                SafeTensorsFile f = checkpoint.owner.get(name);
                if (f == null || !f.path().getFileName().toString().equals(e.getKey())) {
                    checkpoint.close();
                    throw new CheckpointException(index + ": tensor '" + name + "' is mapped to " + e.getKey()
                            + " but that shard does not contain it");
                }
            }
        }
        return checkpoint;
    }

    private static Checkpoint of(Path location, List<Path> paths) {
        List<SafeTensorsFile> files = new ArrayList<>();
        Map<String, SafeTensorsFile> owner = new LinkedHashMap<>();
        try {
            for (Path p : paths) {
                if (!Files.isRegularFile(p)) {
                    throw new CheckpointException(p + ": shard file is missing");
                }
                SafeTensorsFile f = SafeTensorsFile.open(p);
                files.add(f);
                for (String name : f.tensors().keySet()) {
                    SafeTensorsFile previous = owner.putIfAbsent(name, f);
                    if (previous != null) {
                        throw new CheckpointException("tensor '" + name + "' appears in both " + previous.path()
                                + " and " + p);
                    }
                }
            }
        } catch (RuntimeException e) {
            files.forEach(SafeTensorsFile::close);
            throw e;
        }
        return new Checkpoint(location, List.copyOf(files), owner);
    }

    private static List<Path> list(Path dir, String suffix) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(suffix) && Files.isRegularFile(p))
                    .sorted().toList();
        } catch (IOException e) {
            throw new CheckpointException(dir + ": cannot list: " + e.getMessage(), e);
        }
    }

    public Path location() {
        return location;
    }

    public List<SafeTensorsFile> files() {
        return files;
    }

    /** All tensors, by name, across shards. */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    /** Whether some tensor's name starts with {@code prefix}. */
    public boolean hasPrefix(String prefix) {
        for (String name : tensors.keySet()) {
            if (name.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    /** The distinct first segments of the names ({@code model.}, {@code lm_head.}), at most {@code max}. */
    public List<String> topLevelPrefixes(int max) {
        Set<String> out = new LinkedHashSet<>();
        for (String name : tensors.keySet()) {
            int dot = name.indexOf('.');
            out.add(dot < 0 ? name : name.substring(0, dot + 1));
            if (out.size() == max) {
                break;
            }
        }
        return List.copyOf(out);
    }

    /** Values held by all tensors together: no model of this checkpoint needs more. */
    public long totalElements() {
        return totalElements;
    }

    SafeTensorsFile fileOf(String name) {
        return owner.get(name);
    }

    /**
     * A view for loading a model: floating-point tensors are converted to {@code floatType} one
     * tensor at a time; integer tensors keep their type.
     */
    public CheckpointWeights weights(NDManager manager, DataType floatType) {
        return new CheckpointWeights(this, manager, floatType);
    }

    @Override
    public void close() {
        files.forEach(SafeTensorsFile::close);
    }
}
