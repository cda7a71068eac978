package org.mix4j.llm.quantize;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.mix4j.tensor.Int8Matrix;
import org.mix4j.weights.Checkpoint;
import org.mix4j.weights.CheckpointException;
import org.mix4j.weights.SafeTensorsWriter;
import org.mix4j.weights.TensorInfo;

/**
 * Writes a LLaMA-family checkpoint (llama, qwen2, mistral) pre-quantized, so that loading it needs
 * no floating-point copy of the weights and no quantizing: every projection, the LM head and the
 * embedding table become {@code name.weight} as I8 {@code [out, in]} plus {@code name.weight_scale}
 * as F32 {@code [out]}, exactly the values {@code quantize: int8} computes at load (one symmetric
 * scale per output row, so a fused or sharded projection stacks the stored rows unchanged); norms
 * and biases are copied (as fp32). The other files of the folder (config.json, tokenizer files)
 * are copied, and the tensors go to one {@code model.safetensors}. The result is mix4j's own layout:
 * transformers does not read it.
 */
public final class QuantizedCheckpoint {

    /** Model types whose loader reads the pre-quantized layout. */
    public static final Set<String> MODEL_TYPES = Set.of("llama", "qwen2", "mistral");

    private static final List<String> QUANTIZED_SUFFIXES = List.of("q_proj.weight", "k_proj.weight", "v_proj.weight",
            "o_proj.weight", "gate_proj.weight", "up_proj.weight", "down_proj.weight");

    /** What {@link #write} did: tensors quantized and copied, and the bytes before and after. */
    public record Report(int quantized, int copied, long sourceBytes, long writtenBytes) {}

    private QuantizedCheckpoint() {
    }

    /** Whether {@code name} is one of the tensors {@code quantize: int8} replaces in a LLaMA-family model. */
    static boolean quantizes(String name, TensorInfo info) {
        boolean weight = name.equals("lm_head.weight") || name.equals("model.embed_tokens.weight")
                || QUANTIZED_SUFFIXES.stream().anyMatch(name::endsWith);
        return weight && info.dataType().isFloating() && info.shape().dimension() == 2;
    }

    /**
     * Reads the checkpoint folder {@code source} and writes its pre-quantized copy into {@code target},
     * which must not exist or be empty (nothing is overwritten; a failed write leaves no model file).
     */
    public static Report write(Path source, Path target) throws IOException {
        String type = modelType(source);
        if (!MODEL_TYPES.contains(type)) {
            throw new CheckpointException(source.resolve("config.json") + ": model_type '" + type + "' cannot be written "
                    + "pre-quantized; known: " + String.join(", ", MODEL_TYPES.stream().sorted().toList())
                    + " (other models quantize at load with quantize: int8)");
        }
        if (Files.exists(target) && (!Files.isDirectory(target) || !isEmpty(target))) {
            throw new IOException(target + ": exists and is not an empty folder; nothing was written");
        }
        Files.createDirectories(target);
        int quantized = 0;
        int copied = 0;
        long sourceBytes = 0;
        long writtenBytes = 0;
        try (Checkpoint checkpoint = Checkpoint.open(source); NDManager manager = NDManager.newBaseManager()) {
            org.mix4j.weights.Weights weights = checkpoint.weights(manager, DataType.FLOAT32); // bf16 and fp16 widen safely
            SafeTensorsWriter writer = new SafeTensorsWriter().metadata("format", "pt")
                    .metadata("mix4j_quantization", "int8 weight-only, one symmetric scale per output row");
            for (Map.Entry<String, TensorInfo> e : checkpoint.tensors().entrySet()) {
                String name = e.getKey();
                TensorInfo info = e.getValue();
                sourceBytes += info.byteSize();
                if (name.endsWith(".weight_scale")) {
                    throw new CheckpointException(checkpoint.location() + ": tensor '" + name
                            + "': this checkpoint is pre-quantized already");
                }
                NDArray stored = weights.get(name);
                if (quantizes(name, info)) {
                    Int8Matrix q = Int8Matrix.quantize(stored);
                    stored.close();
                    NDArray values = q.values(manager);
                    NDArray scales = q.scales(manager);
                    writer.put(name, values).put(name.substring(0, name.length() - "weight".length()) + "weight_scale",
                            scales);
                    writtenBytes += values.size() + 4 * scales.size();
                    quantized++;
                } else {
                    writer.put(name, stored);
                    writtenBytes += stored.size() * stored.getDataType().getNumOfBytes();
                    copied++;
                }
            }
            writer.write(target.resolve("model.safetensors"));
        }
        copyOtherFiles(source, target);
        return new Report(quantized, copied, sourceBytes, writtenBytes);
    }

    private static String modelType(Path source) throws IOException {
        Path config = source.resolve("config.json");
        if (!Files.isRegularFile(config)) {
            throw new CheckpointException(source + ": no config.json; a Hugging Face checkpoint folder is needed");
        }
        try (Reader r = Files.newBufferedReader(config)) {
            JsonObject json = JsonParser.parseReader(r).getAsJsonObject();
            return json.has("model_type") ? json.get("model_type").getAsString() : "(none)";
        } catch (RuntimeException e) {
            throw new CheckpointException(config + ": not a JSON object with a model_type: " + e.getMessage());
        }
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    /** Every plain file but the tensors and the shard index (config, tokenizer, generation settings, README). */
    private static void copyOtherFiles(Path source, Path target) throws IOException {
        try (Stream<Path> s = Files.list(source)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                String name = p.getFileName().toString();
                if (!name.endsWith(".safetensors") && !name.endsWith(".safetensors.index.json") && !name.endsWith(".bin")
                        && !name.endsWith(".pt") && !name.endsWith(".pth")) {
                    Files.copy(p, target.resolve(name));
                }
            }
        }
    }
}
