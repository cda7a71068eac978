package org.mix4j.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.compose.ComponentSpec;
import org.mix4j.config.ConfigNode;
import org.mix4j.config.ConfigNode.MapNode;
import org.mix4j.config.ConfigNode.Origin;
import org.mix4j.config.JsonConfig;
import org.mix4j.config.YamlWriter;
import org.mix4j.pipelines.generation.DiffusersLayout;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.weights.Checkpoint;
import org.mix4j.weights.CheckpointWeights;
import org.mix4j.weights.SafeTensorsWriter;

/**
 * Writes a trained text-to-image pipeline. A pipeline on a diffusers folder ({@code model_index.json})
 * becomes a copy of that folder: every component folder the YAML loads from the checkpoint copied,
 * the trained ones rewritten into their safetensors file under its original name
 * ({@code unet/diffusion_pytorch_model.safetensors}) with LoRA updates merged, and a tokenizer the
 * YAML took from elsewhere copied in as {@code tokenizer/}, so {@code mix generate --model OUT} loads
 * it like the original. Other pipelines go through {@link ModelWriter}. A LoRA on the denoiser is
 * also written unmerged twice: {@code pytorch_lora_weights.safetensors} in diffusers' names
 * ({@code unet.<module>.lora_A.weight} / {@code lora_B.weight}, alpha / r folded into B so that
 * loaders assuming alpha = r read it right), which a denoiser section's {@code lora: [{file: ...}]}
 * merges per pipeline ({@code lora.yaml} is the base pipeline so), and {@code adapter/} as peft
 * writes it. With {@code merge_lora: false} only these are written, and {@code pipeline.yaml} is the
 * base pipeline with the LoRA.
 */
final class DiffusersWriter {

    /** The diffusers-format LoRA file (the name {@code train_text_to_image_lora.py} saves). */
    static final String LORA_FILE = "pytorch_lora_weights.safetensors";

    /** The folder of a diffusers pipeline that holds each slot's component. */
    private static final Map<String, String> FOLDERS = Map.of("text_encoder", "text_encoder", "tokenizer", "tokenizer",
            "denoiser", "unet", "controlnet", "controlnet", "vae", "vae", "scheduler", "scheduler");

    private DiffusersWriter() {}

    private static boolean trained(String slot, TrainedSlots slots) {
        return slots.parameters().trainable().keySet().stream().anyMatch(n -> n.startsWith(slot + "."));
    }

    static void write(Path out, PipelineConfig config, TrainedSlots slots, TrainingSettings settings, NDManager manager) {
        Path checkpoint = config.checkpoint() == null ? null : config.checkpoint().toAbsolutePath().normalize();
        TrainingSettings.LoraSettings lora = settings.lora();
        boolean denoiserLora = lora != null && lora.slot().equals("denoiser");
        try {
            Files.createDirectories(out);
            if (denoiserLora) {
                writeLora(out.resolve(LORA_FILE), slots.parameters(), lora.lora().scaling());
                writeLoraPipeline(out, config, checkpoint, settings.mergeLora() ? "lora.yaml" : "pipeline.yaml");
            }
            if (denoiserLora && !settings.mergeLora()) {
                ModelWriter.writeAdapters(out.resolve("adapter"), slots.specs(), slots.components(), slots.parameters());
                return;
            }
            boolean randomTrained = slots.specs().entrySet().stream()
                    .anyMatch(e -> e.getValue().init() == ComponentSpec.Init.RANDOM && trained(e.getKey(), slots));
            if (checkpoint == null || DiffusersLayout.modelIndex(checkpoint) == null || randomTrained) {
                ModelWriter.write(out, config, slots.specs(), slots.components(), slots.parameters(), manager);
            } else {
                writeFolder(out, config, checkpoint, slots, manager);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the trained model to " + out + ": " + e.getMessage(), e);
        }
    }

    private static void writeFolder(Path out, PipelineConfig config, Path checkpoint, TrainedSlots slots,
            NDManager manager) throws IOException {
        Files.createDirectories(out);
        JsonObject modelIndex = DiffusersLayout.modelIndex(checkpoint);
        MapNode root = config.root().without(List.of("training")).with(single("checkpoint", "."));
        try (NDManager scope = manager.newSubManager()) {
            for (Map.Entry<String, ComponentSpec> e : config.components().entrySet()) {
                String slot = e.getKey();
                ComponentSpec spec = e.getValue();
                Path source = ComponentLoader.directory(spec, checkpoint);
                if (source == null || spec.init() == ComponentSpec.Init.RANDOM) {
                    continue;
                }
                source = source.toAbsolutePath().normalize();
                String key = root.get(slot) instanceof MapNode m && m.get("path") != null ? "path" : "weights";
                boolean inside = source.startsWith(checkpoint) && !source.equals(checkpoint);
                if (inside || trained(slot, slots) || slot.equals("tokenizer") && Files.isDirectory(source)) {
                    String folder = inside ? checkpoint.relativize(source).toString() : FOLDERS.get(slot);
                    copyComponent(source, out.resolve(folder), slot, slots, scope);
                    if (slot.equals("scheduler")) {
                        overlaySchedulerKeys(out.resolve(folder), spec.options());
                    }
                    root = root.with(slotKey(root, slot, key, folder));
                    if (!inside && slot.equals("tokenizer")) {
                        modelIndex.add("tokenizer", pair("transformers", "hf_tokenizer".equals(spec.type())
                                ? "PreTrainedTokenizerFast" : "CLIPTokenizer"));
                    }
                } else if (!source.equals(checkpoint)) {
                    root = root.with(slotKey(root, slot, key, source.toString()));
                }
                if (spec.config() != null && !Path.of(spec.config()).isAbsolute()) { // it resolved against the old checkpoint
                    root = root.with(slotKey(root, slot, "config", checkpoint.resolve(spec.config()).normalize().toString()));
                }
            }
        }
        Files.writeString(out.resolve("model_index.json"), new GsonBuilder().setPrettyPrinting().create().toJson(modelIndex));
        ModelWriter.writeAdapters(out.resolve("adapter"), slots.specs(), slots.components(), slots.parameters());
        Files.writeString(out.resolve("pipeline.yaml"), YamlWriter.write(root, List.of(
                "written by mix train: the pipeline with its trained weights (mix generate " + out.resolve("pipeline.yaml")
                        + ", or mix generate --model " + out + ")")));
    }

    /** A component folder's files into {@code target}; a trained slot's weights rewritten with its new values. */
    private static void copyComponent(Path source, Path target, String slot, TrainedSlots slots, NDManager scope)
            throws IOException {
        Files.createDirectories(target);
        boolean trained = trained(slot, slots);
        try (var files = Files.list(source)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                boolean weights = name.endsWith(".safetensors") || name.endsWith(".safetensors.index.json");
                if (Files.isRegularFile(f) && !(trained && weights)) {
                    Files.copy(f, target.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        if (!trained) {
            return;
        }
        ComponentSpec spec = slots.specs().get(slot);
        String prefix = spec.weightsPrefix() == null ? "" : spec.weightsPrefix();
        Map<String, NDArray> updated = ModelWriter.merged(slot, prefix, slots.parameters(), slots.components().get(slot),
                scope);
        SafeTensorsWriter writer = new SafeTensorsWriter();
        try (Checkpoint checkpoint = Checkpoint.open(source)) {
            CheckpointWeights weights = checkpoint.weights(scope, DataType.FLOAT32);
            for (String name : checkpoint.tensors().keySet()) {
                writer.put(name, updated.containsKey(name) ? updated.get(name) : weights.get(name));
            }
            for (String name : updated.keySet()) {
                if (!checkpoint.tensors().containsKey(name)) {
                    throw new IllegalStateException(source + " has no tensor '" + name + "' to update");
                }
            }
            writer.write(target.resolve(weightsFile(checkpoint)));
        }
    }

    /**
     * The scheduler keys the YAML's section sets ({@code prediction_type: v_prediction}, ...) written
     * into the copied {@code scheduler_config.json}, so that {@code mix generate --model OUT} samples as
     * the model was trained, not as the folder it started from says.
     */
    private static void overlaySchedulerKeys(Path folder, MapNode options) throws IOException {
        Path file = folder.resolve("scheduler_config.json");
        if (options.entries().isEmpty() || !Files.isRegularFile(file)) {
            return;
        }
        JsonObject json = JsonConfig.read(file);
        options.entries().forEach((key, value) -> json.add(key, ModelWriter.json(value)));
        Files.writeString(file, new GsonBuilder().setPrettyPrinting().create().toJson(json));
    }

    /** The single file's name, or for a sharded checkpoint the name its index is for (written as one file). */
    private static String weightsFile(Checkpoint checkpoint) {
        if (checkpoint.files().size() == 1) {
            return checkpoint.files().get(0).path().getFileName().toString();
        }
        return Files.isRegularFile(checkpoint.location().resolve("model.safetensors.index.json")) ? "model.safetensors"
                : "diffusion_pytorch_model.safetensors";
    }

    /**
     * The denoiser's LoRA factors as diffusers names them; {@code B} carries the scaling
     * {@code alpha / r}, so the update {@code B' A} is the trained one for a loader taking alpha = r.
     */
    static void writeLora(Path file, Parameters params, double scaling) throws IOException {
        SafeTensorsWriter writer = new SafeTensorsWriter();
        try (NDManager scope = params.trainable().values().iterator().next().getManager().newSubManager()) {
            params.trainable().forEach((name, p) -> {
                if (name.startsWith("denoiser.") && name.contains(".lora_")) {
                    String key = "unet." + name.substring("denoiser.".length());
                    NDArray value = p.stopGradient();
                    if (key.endsWith(".lora_B.weight")) {
                        value = value.mul((float) scaling);
                        value.attach(scope);
                    }
                    writer.put(key, value);
                }
            });
            writer.write(file);
        }
    }

    /**
     * {@code name}: the base pipeline as the recipe loaded it (absolute checkpoint) with the LoRA
     * file merged at load by the denoiser's {@code lora:}, what a service applying it per request runs.
     */
    private static void writeLoraPipeline(Path out, PipelineConfig config, Path checkpoint, String name)
            throws IOException {
        MapNode root = config.root().without(List.of("training"));
        if (checkpoint != null) {
            root = root.with(single("checkpoint", checkpoint.toString()));
        }
        MapNode denoiser = (MapNode) root.get("denoiser");
        List<Object> files = new ArrayList<>();
        if (denoiser.get("lora") instanceof ConfigNode.ListNode given) {
            files.addAll(given.items());
        }
        files.add(Map.of("file", out.resolve(LORA_FILE).toAbsolutePath().normalize().toString()));
        Map<String, Object> wrap = new LinkedHashMap<>();
        wrap.put("denoiser", denoiser.with((MapNode) ConfigNode.fromJava(Map.of("lora", files), Origin.of("mix train"))));
        root = root.with((MapNode) ConfigNode.fromJava(wrap, Origin.of("mix train")));
        Files.writeString(out.resolve(name), YamlWriter.write(root, List.of(
                "written by mix train: the base pipeline with the trained LoRA applied at load (" + LORA_FILE + ")")));
    }

    private static JsonArray pair(String library, String cls) {
        JsonArray a = new JsonArray();
        a.add(library);
        a.add(cls);
        return a;
    }

    private static MapNode single(String key, Object value) {
        return (MapNode) ConfigNode.fromJava(Map.of(key, value), Origin.of("mix train"));
    }

    /** {@code slot.key = value} over the root's section. */
    private static MapNode slotKey(MapNode root, String slot, String key, String value) {
        MapNode section = root.get(slot) instanceof MapNode m ? m : (MapNode) ConfigNode.fromJava(Map.of(), Origin.UNKNOWN);
        Map<String, Object> wrap = new LinkedHashMap<>();
        wrap.put(slot, section.with(single(key, value)));
        return (MapNode) ConfigNode.fromJava(wrap, Origin.of("mix train"));
    }
}
