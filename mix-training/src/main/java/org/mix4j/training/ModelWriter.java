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
import org.mix4j.api.Trainable;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.compose.ComponentSpec;
import org.mix4j.config.ConfigNode;
import org.mix4j.config.ConfigNode.MapNode;
import org.mix4j.config.ConfigNode.Origin;
import org.mix4j.config.YamlWriter;
import org.mix4j.nn.Linear;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.weights.Checkpoint;
import org.mix4j.weights.CheckpointWeights;
import org.mix4j.weights.SafeTensorsWriter;

/**
 * Writes a trained model where {@code mix run} loads it:
 * <ul>
 *   <li>a pipeline built on a checkpoint folder gets a copy of that folder (its config, tokenizer
 *       and processor files, one {@code model.safetensors} with every tensor under its original
 *       name, the trained ones updated and LoRA updates merged into their weights), so
 *       {@code mix run --model OUT} loads it like the original;
 *   <li>a component built with {@code init: random} is saved whole as {@code SLOT.safetensors};
 *   <li>{@code pipeline.yaml} is the training YAML pointing at these files (no {@code training:});
 *   <li>LoRA adapters are also saved unmerged, as a peft adapter ({@code adapter/adapter_config.json},
 *       {@code adapter/adapter_model.safetensors}).
 * </ul>
 * Tensors are held in memory while the file is written.
 */
public final class ModelWriter {

    private ModelWriter() {}

    /**
     * @param slots the trained components by slot, with their specs
     * @param params trainable tensors under {@code slot.} names
     */
    public static void write(Path out, PipelineConfig config, Map<String, ComponentSpec> slots, Map<String, Object> components,
            Parameters params, NDManager manager) {
        write(out, config, slots, components, params, Map.of(), manager);
    }

    /**
     * @param extras tensors written with a slot's weights under the slot's prefix though the component
     *     does not read them (CLIPModel's {@code logit_scale} beside the vision tower); the slot is written
     */
    public static void write(Path out, PipelineConfig config, Map<String, ComponentSpec> slots, Map<String, Object> components,
            Parameters params, Map<String, Map<String, NDArray>> extras, NDManager manager) {
        try {
            Files.createDirectories(out);
            MapNode root = config.root().without(List.of("training"));
            Map<String, Map<String, NDArray>> byCheckpoint = new LinkedHashMap<>(); // full name -> new value
            Map<Path, List<String>> slotsOf = new LinkedHashMap<>();
            try (NDManager scope = manager.newSubManager()) {
                List<String> randomSlots = new ArrayList<>();
                java.util.Set<String> added = new java.util.HashSet<>(); // extras the source may lack
                for (Map.Entry<String, ComponentSpec> e : slots.entrySet()) {
                    String slot = e.getKey();
                    ComponentSpec spec = e.getValue();
                    if (!touched(slot, params) && !extras.containsKey(slot)) {
                        continue;
                    }
                    if (spec.init() == ComponentSpec.Init.RANDOM) {
                        randomSlots.add(slot);
                    } else {
                        Path dir = directory(spec, config.checkpoint());
                        Map<String, NDArray> updates = byCheckpoint.computeIfAbsent(dir.toString(), k -> new LinkedHashMap<>());
                        updates.putAll(merged(slot, prefix(spec), params, components.get(slot), scope));
                        extras.getOrDefault(slot, Map.of()).forEach((name, t) -> {
                            updates.put(prefix(spec) + name, t.stopGradient());
                            added.add(prefix(spec) + name);
                        });
                        slotsOf.computeIfAbsent(dir, k -> new ArrayList<>()).add(slot);
                    }
                }
                boolean copiedPipelineCheckpoint = false;
                for (Map.Entry<Path, List<String>> e : slotsOf.entrySet()) {
                    Path source = e.getKey();
                    boolean isPipelineCheckpoint = source.equals(config.checkpoint());
                    Path target = isPipelineCheckpoint ? out : out.resolve(e.getValue().get(0));
                    copyCheckpoint(source, target, byCheckpoint.get(source.toString()), added, scope);
                    if (isPipelineCheckpoint) {
                        copiedPipelineCheckpoint = true;
                    } else {
                        for (String slot : e.getValue()) {
                            root = root.with(slotNode(root, slot, Map.of("weights", target.toAbsolutePath().toString()),
                                    List.of("weights", "path")));
                        }
                    }
                }
                root = absolutePaths(root, config, out);
                if (copiedPipelineCheckpoint) {
                    copyTokenizer(config, out);
                    writeProcessorConfig(config, out);
                    root = root.with(single("checkpoint", "."));
                }
                for (String slot : randomSlots) {
                    Path file = out.resolve(slot + ".safetensors");
                    Map<String, NDArray> whole = merged(slot, "", params, components.get(slot), scope);
                    writeWhole((Trainable) components.get(slot), whole, extras.getOrDefault(slot, Map.of()), file, scope);
                    // relative to the copied checkpoint (OUT) when there is one, else absolute
                    String ref = copiedPipelineCheckpoint ? file.getFileName().toString() : file.toAbsolutePath().toString();
                    root = root.with(slotNode(root, slot, Map.of("weights", ref),
                            List.of("init", "seed", "weights_prefix", "weights", "path")));
                }
                writeAdapters(out.resolve("adapter"), slots, components, params);
            }
            Files.writeString(out.resolve("pipeline.yaml"), YamlWriter.write(root, List.of(
                    "written by mix train: the pipeline with its trained weights (mix run " + out.resolve("pipeline.yaml")
                            + ")")));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the trained model to " + out + ": " + e.getMessage(), e);
        }
    }

    private static boolean touched(String slot, Parameters params) {
        return params.trainable().keySet().stream().anyMatch(n -> n.startsWith(slot + "."));
    }

    private static String prefix(ComponentSpec spec) {
        return spec.weightsPrefix() == null ? "" : spec.weightsPrefix();
    }

    /**
     * The new values of a slot's tensors under their checkpoint names ({@code prefix} + name): the
     * trained tensors as they are, and each adapted projection's weight with {@code scaling B A}
     * added to its rows.
     */
    static Map<String, NDArray> merged(String slot, String prefix, Parameters params, Object component,
            NDManager scope) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        String dot = slot + ".";
        params.trainable().forEach((name, p) -> {
            if (name.startsWith(dot) && !name.contains(".lora_")) {
                out.put(prefix + name.substring(dot.length()), p.stopGradient());
            }
        });
        if (component instanceof Trainable t) {
            t.projections().forEach((module, projection) -> {
                for (Linear.Adapter a : projection.linear().adapters()) {
                    if (a.from() != projection.from() || a.to() != projection.to()) {
                        continue;
                    }
                    NDArray w = projection.linear().weight().stopGradient();
                    NDArray rows = w.get(new ai.djl.ndarray.index.NDIndex("{}:{}", a.from(), a.to()));
                    NDArray delta = a.b().stopGradient().matMul(a.a().stopGradient()).mul(a.scaling());
                    NDArray value = rows.add(delta);
                    value.attach(scope);
                    out.put(prefix + module + ".weight", value);
                }
            });
        }
        return out;
    }

    /**
     * Every tensor of the component: the listed ones (the built-in components list fused q/k/v and
     * gate/up by name), the rows of fused projections a component does not list under their module
     * names, LoRA merged, and {@code extras}.
     */
    private static void writeWhole(Trainable component, Map<String, NDArray> updated, Map<String, NDArray> extras, Path file,
            NDManager scope) throws IOException {
        SafeTensorsWriter writer = new SafeTensorsWriter();
        Map<String, NDArray> listed = component.parameters();
        listed.forEach((name, tensor) -> writer.put(name, updated.getOrDefault(name, tensor.stopGradient())));
        component.projections().forEach((module, p) -> {
            if (listed.containsKey(module + ".weight")) {
                return;
            }
            NDArray rows = p.linear().weight().stopGradient().get(new ai.djl.ndarray.index.NDIndex("{}:{}", p.from(), p.to()));
            rows.attach(scope);
            writer.put(module + ".weight", updated.getOrDefault(module + ".weight", rows));
            NDArray bias = p.linear().biasRows(p.from(), p.to());
            if (bias != null) {
                NDArray b = bias.stopGradient();
                b.attach(scope);
                writer.put(module + ".bias", b);
            }
        });
        extras.forEach((name, tensor) -> writer.put(name, tensor.stopGradient()));
        writer.write(file);
    }

    /**
     * Files of a checkpoint folder that are not the model's: what {@code mix train} writes beside a model
     * it trained (its pipeline and its metrics log, which the run writing {@code target} keeps open) and a
     * golden fixture's case file. A model trained from an earlier run's output must not take them over.
     */
    private static final java.util.Set<String> RUN_FILES = java.util.Set.of("pipeline.yaml", "metrics.jsonl", "case.json");

    /** {@code source}'s files into {@code target}, its tensors rewritten into one model.safetensors with {@code updated}. */
    private static void copyCheckpoint(Path source, Path target, Map<String, NDArray> updated, java.util.Set<String> added,
            NDManager scope) throws IOException {
        Files.createDirectories(target);
        Path dir = Files.isDirectory(source) ? source : source.getParent();
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (Files.isRegularFile(f) && !name.endsWith(".safetensors") && !name.endsWith(".safetensors.index.json")
                        && !name.endsWith(".bin") && !RUN_FILES.contains(name)) {
                    Files.copy(f, target.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        SafeTensorsWriter writer = new SafeTensorsWriter();
        try (Checkpoint checkpoint = Checkpoint.open(source)) {
            CheckpointWeights weights = checkpoint.weights(scope, DataType.FLOAT32);
            for (String name : checkpoint.tensors().keySet()) {
                NDArray value = updated.get(name);
                writer.put(name, value != null ? value : weights.get(name));
            }
            for (String name : updated.keySet()) {
                if (added.contains(name) && !checkpoint.tensors().containsKey(name)) {
                    writer.put(name, updated.get(name));
                } else if (!checkpoint.tensors().containsKey(name)) {
                    throw new IllegalStateException(source + " has no tensor '" + name + "' to update");
                }
            }
            writer.write(target.resolve("model.safetensors"));
        }
    }

    /** The tokenizer's files beside the copied checkpoint when it has none (the YAML named another folder). */
    private static void copyTokenizer(PipelineConfig config, Path out) throws IOException {
        ComponentSpec spec = config.component("tokenizer");
        if (spec == null || spec.weights() == null || Files.exists(out.resolve("tokenizer.json"))) {
            return;
        }
        Path dir = directory(spec, config.checkpoint());
        for (String name : List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                "chat_template.jinja", "vocab.json", "merges.txt")) { // the last two: CLIP's BPE (clip_bpe)
            if (Files.isRegularFile(dir.resolve(name))) {
                Files.copy(dir.resolve(name), out.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    /**
     * The YAML's image-processor settings as {@code preprocessor_config.json} when the copied
     * checkpoint has none, so {@code mix run --model OUT} preprocesses as the recipe did.
     */
    private static void writeProcessorConfig(PipelineConfig config, Path out) throws IOException {
        ComponentSpec spec = config.component("image_processor");
        if (spec == null || !"hf_image_processor".equals(spec.type()) || spec.options().entries().isEmpty()
                || Files.exists(out.resolve("preprocessor_config.json"))) {
            return;
        }
        Files.writeString(out.resolve("preprocessor_config.json"),
                new GsonBuilder().setPrettyPrinting().create().toJson(json(spec.options())));
    }

    /** A YAML section as JSON (numbers, booleans and null as such, other scalars as strings). */
    static com.google.gson.JsonElement json(ConfigNode node) {
        if (node instanceof MapNode m) {
            JsonObject o = new JsonObject();
            m.entries().forEach((k, v) -> o.add(k, json(v)));
            return o;
        }
        if (node instanceof ConfigNode.ListNode l) {
            JsonArray a = new JsonArray();
            l.items().forEach(i -> a.add(json(i)));
            return a;
        }
        Object v = ((ConfigNode.Scalar) node).value();
        if (v == null) {
            return com.google.gson.JsonNull.INSTANCE;
        }
        if (v instanceof Number n) {
            return new com.google.gson.JsonPrimitive(n);
        }
        if (v instanceof Boolean b) {
            return new com.google.gson.JsonPrimitive(b);
        }
        return new com.google.gson.JsonPrimitive(String.valueOf(v));
    }

    /** The LoRA factors as a peft adapter ({@code lora_alpha} from the adapters' scaling), when there are any. */
    static void writeAdapters(Path dir, Map<String, ComponentSpec> slots, Map<String, Object> components,
            Parameters params) throws IOException {
        Map<String, NDArray> lora = new LinkedHashMap<>();
        List<String> modules = new ArrayList<>();
        params.trainable().forEach((name, p) -> {
            int cut = name.indexOf(".lora_");
            if (cut < 0) {
                return;
            }
            String slot = name.substring(0, name.indexOf('.'));
            String rest = name.substring(slot.length() + 1);
            lora.put("base_model.model." + prefix(slots.get(slot)) + rest, p.stopGradient());
            String module = rest.substring(0, rest.indexOf(".lora_"));
            String last = module.substring(module.lastIndexOf('.') + 1);
            if (last.chars().allMatch(Character::isDigit) && module.lastIndexOf('.') > 0) { // to_out.0: a Sequential's index
                last = module.substring(module.lastIndexOf('.', module.lastIndexOf('.') - 1) + 1);
            }
            if (!modules.contains(last)) {
                modules.add(last);
            }
        });
        if (lora.isEmpty()) {
            return;
        }
        Files.createDirectories(dir);
        SafeTensorsWriter writer = new SafeTensorsWriter();
        lora.forEach(writer::put);
        writer.write(dir.resolve("adapter_model.safetensors"));
        NDArray anyA = lora.entrySet().stream().filter(e -> e.getKey().endsWith("lora_A.weight")).findFirst().orElseThrow()
                .getValue();
        JsonObject config = new JsonObject();
        config.addProperty("peft_type", "LORA");
        long r = anyA.getShape().get(0);
        config.addProperty("r", r);
        components.values().stream().filter(c -> c instanceof Trainable).flatMap(c -> ((Trainable) c).projections()
                .values().stream()).flatMap(p -> p.linear().adapters().stream()).findFirst()
                .ifPresent(a -> {
                    double alpha = a.scaling() * r;
                    config.addProperty("lora_alpha", alpha == Math.rint(alpha) ? (Number) (long) alpha : alpha);
                });
        JsonArray targets = new JsonArray();
        modules.forEach(targets::add);
        config.add("target_modules", targets);
        config.addProperty("lora_dropout", 0.0);
        config.addProperty("bias", "none");
        Files.writeString(dir.resolve("adapter_config.json"), new GsonBuilder().setPrettyPrinting().create().toJson(config));
    }

    /** The section's files ({@link ComponentLoader#directory}); a trained slot always has some. */
    private static Path directory(ComponentSpec spec, Path checkpoint) {
        Path dir = ComponentLoader.directory(spec, checkpoint);
        if (dir == null) {
            throw new IllegalArgumentException("slot " + spec.path() + " has no checkpoint to copy");
        }
        return dir.normalize();
    }

    private static MapNode single(String key, Object value) {
        return (MapNode) ConfigNode.fromJava(Map.of(key, value), Origin.of("mix train"));
    }

    /** The slot's section with {@code set} keys written and {@code drop} keys removed. */
    private static MapNode slotNode(MapNode root, String slot, Map<String, Object> set, List<String> drop) {
        MapNode section = root.get(slot) instanceof MapNode m ? m : (MapNode) ConfigNode.fromJava(Map.of(), Origin.UNKNOWN);
        section = section.without(drop).with((MapNode) ConfigNode.fromJava(set, Origin.of("mix train")));
        Map<String, Object> wrap = new LinkedHashMap<>();
        wrap.put(slot, section);
        return (MapNode) ConfigNode.fromJava(wrap, Origin.of("mix train"));
    }

    /**
     * The original YAML's relative paths made absolute as the loader resolved them: a component's
     * {@code weights}, {@code path} and {@code config} against the pipeline's checkpoint (else the
     * YAML's folder, as {@link PipelineConfig} resolved them), the checkpoint against the YAML's folder.
     */
    private static MapNode absolutePaths(MapNode root, PipelineConfig config, Path out) {
        MapNode result = root;
        Path checkpoint = config.checkpoint();
        for (Map.Entry<String, ConfigNode> e : root.entries().entrySet()) {
            if (!(e.getValue() instanceof MapNode section) || !config.schema().slots().containsKey(e.getKey())) {
                continue;
            }
            MapNode fixed = section;
            for (String key : List.of("weights", "path", "config")) {
                if (section.get(key) instanceof ConfigNode.Scalar s && s.value() instanceof String v && !Path.of(v).isAbsolute()) {
                    ComponentSpec spec = config.component(e.getKey());
                    String asLoaded = key.equals("config") ? spec.config() : spec.weights();
                    Path resolved = checkpoint != null ? checkpoint.resolve(v) : Path.of(asLoaded).toAbsolutePath();
                    fixed = fixed.with(single(key, resolved.normalize().toString()));
                }
            }
            if (fixed != section) {
                Map<String, Object> wrap = new LinkedHashMap<>();
                wrap.put(e.getKey(), fixed);
                result = result.with((MapNode) ConfigNode.fromJava(wrap, Origin.of("mix train")));
            }
        }
        if (checkpoint != null) {
            result = result.with(single("checkpoint", checkpoint.toAbsolutePath().toString()));
        }
        return result;
    }
}
