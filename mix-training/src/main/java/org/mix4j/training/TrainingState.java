package org.mix4j.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import org.mix4j.weights.Checkpoint;
import org.mix4j.weights.SafeTensorsWriter;

/**
 * What {@code --resume} needs to continue a run exactly: the trainable tensors, AdamW's moments and
 * update count, and the position in the data ({@code state/} under the output folder:
 * {@code trainable.safetensors}, {@code optimizer.safetensors}, the objective's own tensors such as
 * an EMA teacher in {@code objective.safetensors}, the {@code ema:} average in
 * {@code ema.safetensors}, {@code state.json}). Written to a temporary folder and renamed into place,
 * so an interrupted save leaves the previous state.
 */
public final class TrainingState {

    /** @param step optimizer steps done; @param cursor samples consumed (across epochs) */
    public record Position(int step, long cursor) {}

    private static final String EMA_FILE = "ema.safetensors";
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    private TrainingState() {}

    /**
     * @param extra the objective's tensors besides the trainable ones ({@link Objective#state()})
     * @param average the {@code ema:} average of the trainable tensors (empty without one)
     */
    public static void save(Path dir, Parameters params, Map<String, NDArray> extra, Map<String, NDArray> average,
            AdamW optimizer, Position position, long seed) {
        Path tmp = dir.resolveSibling(dir.getFileName() + ".tmp");
        try {
            deleteTree(tmp);
            Files.createDirectories(tmp);
            SafeTensorsWriter trainable = new SafeTensorsWriter();
            SafeTensorsWriter moments = new SafeTensorsWriter();
            params.trainable().forEach((name, p) -> {
                trainable.put(name, p.stopGradient());
                NDArray[] mv = optimizer.moments(name);
                if (mv != null) {
                    moments.put(name + ".exp_avg", mv[0]);
                    moments.put(name + ".exp_avg_sq", mv[1]);
                }
            });
            trainable.write(tmp.resolve("trainable.safetensors"));
            moments.write(tmp.resolve("optimizer.safetensors"));
            if (!extra.isEmpty()) {
                SafeTensorsWriter objective = new SafeTensorsWriter();
                extra.forEach((name, t) -> objective.put(name, t.stopGradient()));
                objective.write(tmp.resolve("objective.safetensors"));
            }
            if (!average.isEmpty()) {
                SafeTensorsWriter ema = new SafeTensorsWriter();
                average.forEach((name, t) -> ema.put(name, t));
                ema.write(tmp.resolve(EMA_FILE));
            }
            JsonObject json = new JsonObject();
            json.addProperty("step", position.step());
            json.addProperty("cursor", position.cursor());
            json.addProperty("optimizer_updates", optimizer.steps());
            json.addProperty("seed", seed);
            Files.writeString(tmp.resolve("state.json"), GSON.toJson(json));
            Path old = dir.resolveSibling(dir.getFileName() + ".old");
            deleteTree(old);
            if (Files.exists(dir)) {
                Files.move(dir, old, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            deleteTree(old);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save the training state to " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Puts the saved tensors, moments and average back; returns where the run stood. */
    public static Position restore(Path dir, Parameters params, Map<String, NDArray> extra,
            Map<String, NDArray> average, AdamW optimizer, NDManager manager, long seed) {
        Path stateFile = dir.resolve("state.json");
        if (!Files.isRegularFile(stateFile)) {
            throw new IllegalArgumentException(dir + ": no training state here (state.json); --resume takes the "
                    + "state folder a run wrote (OUTPUT/state)");
        }
        JsonObject json;
        try {
            json = JsonParser.parseString(Files.readString(stateFile)).getAsJsonObject();
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(stateFile + ": unreadable: " + e.getMessage(), e);
        }
        if (json.get("seed").getAsLong() != seed) {
            throw new IllegalArgumentException(stateFile + ": the run used seed " + json.get("seed").getAsLong()
                    + " but the recipe says " + seed + "; resuming would not continue the same run");
        }
        try (NDManager scope = manager.newSubManager();
                Checkpoint trainable = Checkpoint.open(dir.resolve("trainable.safetensors"));
                Checkpoint moments = Checkpoint.open(dir.resolve("optimizer.safetensors"))) {
            var saved = trainable.weights(scope, DataType.FLOAT32);
            var savedMoments = moments.weights(scope, DataType.FLOAT32);
            Map<String, NDArray[]> mv = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : params.trainable().entrySet()) {
                if (!saved.contains(e.getKey())) {
                    throw new IllegalArgumentException(dir + ": the saved state has no tensor '" + e.getKey()
                            + "': the recipe's trainable or lora changed since it was saved");
                }
                overwrite(e.getValue(), saved.get(e.getKey(), e.getValue().getShape()));
                if (savedMoments.contains(e.getKey() + ".exp_avg")) {
                    mv.put(e.getKey(), new NDArray[] {savedMoments.get(e.getKey() + ".exp_avg", e.getValue().getShape()),
                        savedMoments.get(e.getKey() + ".exp_avg_sq", e.getValue().getShape())});
                }
            }
            optimizer.restore(mv, json.get("optimizer_updates").getAsLong());
            if (!extra.isEmpty()) {
                Path file = dir.resolve("objective.safetensors");
                if (!Files.isRegularFile(file)) {
                    throw new IllegalArgumentException(dir + ": the saved state has no objective.safetensors (tensors "
                            + extra.keySet() + "): it was saved by a run with another objective");
                }
                putBack(file, extra, scope);
            }
            if (!average.isEmpty()) {
                Path file = dir.resolve(EMA_FILE);
                if (!Files.isRegularFile(file)) {
                    throw new IllegalArgumentException(dir + ": the saved state has no " + EMA_FILE + ": the run was "
                            + "saved without ema:, so there is no average to continue; resume without ema: or start "
                            + "a new run");
                }
                putBack(file, average, scope);
            }
        }
        return new Position(json.get("step").getAsInt(), json.get("cursor").getAsLong());
    }

    private static void putBack(Path file, Map<String, NDArray> targets, NDManager scope) {
        try (Checkpoint saved = Checkpoint.open(file)) {
            var tensors = saved.weights(scope, DataType.FLOAT32);
            for (Map.Entry<String, NDArray> e : targets.entrySet()) {
                if (!tensors.contains(e.getKey())) {
                    throw new IllegalArgumentException(file + ": no tensor '" + e.getKey() + "'");
                }
                overwrite(e.getValue(), tensors.get(e.getKey(), e.getValue().getShape()));
            }
        }
    }

    /** Puts {@code value} into {@code target}'s buffer (no new array: the model keeps its reference). */
    private static void overwrite(NDArray target, NDArray value) {
        NDArray data = target.stopGradient();
        data.muli(0).addi(value.toType(target.getDataType(), false));
        data.close();
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
