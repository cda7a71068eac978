package org.mix4j.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mix4j.api.RgbImage;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.config.ConfigException;
import org.mix4j.pipelines.retrieval.RetrievalPipeline;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.pipelines.task.Tasks;
import org.mix4j.records.JsonRecordReader;
import org.mix4j.records.RecordPaths;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.weights.RandomWeights;
import org.mix4j.weights.SafeTensorsWriter;

/**
 * {@code objective: patch_labels} on {@code task: retrieval} pipelines: dense supervision of the
 * vision tower. Each picture comes with a class for every token its {@code encoder} hands a connector
 * (the configured {@code feature_layer} and {@code select}, row by row over the patch grid); a
 * linear head {@code patch_head} ({@code [classes, D]} weight and bias, always trained) reads each
 * token's feature and the loss is the cross-entropy of the labelled tokens, a token labelled -1
 * counting for nothing. The unit is the labelled token, so a step's loss is the mean over its
 * tokens. A LLaVA-style model reads these same features, so a tower trained this way hands its
 * connector features that say what each patch belongs to. The tower is written as {@code
 * contrastive} writes it (a copy of its checkpoint folder with the trained tensors), the head beside
 * it as {@code patch_head.safetensors}.
 */
final class PatchLabelObjective implements Objective<PatchLabelObjective.Sample> {

    /** A picture and its token labels, as read from the data file. */
    record Record(String where, Path image, int[] labels) {}

    /** A record ready for {@link #lossSum}: its decoded picture. */
    record Sample(String where, RgbImage image, int[] labels) {}

    static final String HEAD = "patch_head";
    private static final String WEIGHT = HEAD + ".weight";
    private static final String BIAS = HEAD + ".bias";
    private static final int IGNORED = -1;

    private final PipelineConfig config;
    private final RetrievalPipeline pipeline;
    private final NDManager manager;
    private final TrainedSlots slots;
    private final List<String> classes;
    private final List<Record> data;
    private final List<Record> evalData;
    private final int evalBatch;

    PatchLabelObjective(PipelineConfig config, TrainingSettings settings, Path base, ComponentLoader loader,
            NDManager parent) {
        if (!config.task().equals(Tasks.RETRIEVAL.task())) {
            throw new ConfigException(config.root().keyOrigin("task"), "task", "objective patch_labels trains the "
                    + "vision tower of task: retrieval pipelines, not '" + config.task() + "'", List.of("retrieval"));
        }
        this.config = config;
        this.classes = settings.classes();
        this.data = read(base.resolve(settings.data()), classes.size());
        this.evalData = settings.evalData() == null ? List.of() : read(base.resolve(settings.evalData()), classes.size());
        this.evalBatch = settings.microBatchSize();
        this.manager = parent.newSubManager();
        RetrievalPipeline loaded = null;
        TrainedSlots trained = null;
        try {
            loaded = RetrievalPipeline.load(config, loader.withParallel(TensorParallel.SERIAL), manager);
            RetrievalPipeline p = loaded;
            int width = p.encoder().hiddenSize();
            Map<String, NDArray> head = head(classes.size(), width, settings.seed(), manager);
            trained = TrainedSlots.of(config, List.of("encoder"), slot -> p.encoder(), head, settings, manager);
            trained.parameters().train(List.of(WEIGHT, BIAS));
            this.slots = trained;
            this.pipeline = loaded;
        } catch (RuntimeException | Error e) {
            if (trained != null) {
                trained.close();
            }
            if (loaded != null) {
                loaded.close();
            }
            manager.close();
            throw e;
        }
    }

    /** The head's starting values as {@code init: random} draws them: weight normal(0, 1/sqrt(D)) from {@code seed}, bias 0. */
    private static Map<String, NDArray> head(int classes, int width, long seed, NDManager manager) {
        RandomWeights random = new RandomWeights(manager, DataType.FLOAT32, seed);
        Map<String, NDArray> out = new LinkedHashMap<>();
        out.put(WEIGHT, random.get(WEIGHT, new Shape(classes, width)));
        out.put(BIAS, random.get(BIAS, new Shape(classes)));
        return out;
    }

    /**
     * Records {@code {"image": "a.png", "labels": [0, 3, 3, ...]}} (JSON array or JSONL), image
     * paths against the file's folder; every label is a class index or -1, every record labels the
     * same number of tokens. A bad record is an error naming the file and line.
     */
    static List<Record> read(Path file, int classCount) {
        Path base = RecordPaths.base(file);
        List<Record> out = new ArrayList<>();
        for (JsonRecordReader.Entry e : JsonRecords.read(file)) {
            out.add(record(e.where(), e.json(), base, classCount));
            int[] first = out.get(0).labels();
            int[] last = out.get(out.size() - 1).labels();
            if (last.length != first.length) {
                throw new IllegalArgumentException(e.where() + ": " + last.length + " labels, but " + out.get(0).where()
                        + " has " + first.length + ": every picture labels the same token grid");
            }
        }
        return out;
    }

    private static Record record(String where, JsonElement json, Path base, int classCount) {
        if (!json.isJsonObject()) {
            throw new IllegalArgumentException(where + ": a sample must be a JSON object with \"image\" and \"labels\"");
        }
        JsonObject o = json.getAsJsonObject();
        if (!o.has("image") || o.get("image").isJsonNull()) {
            throw new IllegalArgumentException(where + ": no \"image\"");
        }
        JsonElement labels = o.get("labels");
        if (labels == null || !labels.isJsonArray() || labels.getAsJsonArray().isEmpty()) {
            throw new IllegalArgumentException(where + ": \"labels\" must be a non-empty array of class indices, "
                    + "one per token of the encoder's patch grid, row by row");
        }
        JsonArray array = labels.getAsJsonArray();
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            JsonElement v = array.get(i);
            if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber()
                    || v.getAsDouble() != Math.rint(v.getAsDouble())
                    || v.getAsInt() < IGNORED || v.getAsInt() >= classCount) {
                throw new IllegalArgumentException(where + ": labels[" + i + "] is " + v + ": a label is a class "
                        + "index 0.." + (classCount - 1) + " of training.classes, or -1 for a token that does not count");
            }
            out[i] = v.getAsInt();
        }
        return new Record(where, RecordPaths.path(where, "image", o.get("image"), base), out);
    }

    @Override
    public Parameters parameters() {
        return slots.parameters();
    }

    @Override
    public int size() {
        return data.size();
    }

    @Override
    public Sample prepare(int index) {
        return decode(data.get(index));
    }

    private static Sample decode(Record r) {
        return new Sample(r.where(), JsonRecords.image(r.where(), r.image()), r.labels());
    }

    @Override
    public long units(Sample sample) {
        long n = 0;
        for (int label : sample.labels()) {
            n += label == IGNORED ? 0 : 1;
        }
        return n;
    }

    @Override
    public long work(Sample sample) {
        return 1;
    }

    @Override
    public String workUnit() {
        return "images";
    }

    /** The cross-entropy summed over the micro-batch's labelled tokens. */
    @Override
    public NDArray lossSum(List<Sample> micro, long seed, NDManager scope) {
        return logits(micro, scope).sum;
    }

    /** Logits {@code [B, N, C]} of the micro-batch and the summed loss of its labelled tokens. */
    private Forward logits(List<Sample> micro, NDManager scope) {
        NDArray pixels = pipeline.imageProcessor().preprocess(micro.stream().map(Sample::image).toList(), scope);
        NDArray features = pipeline.encoder().encode(pixels).features(); // [B, N, D]
        long tokens = features.getShape().get(1);
        long[] flat = new long[micro.size() * (int) tokens];
        for (int b = 0; b < micro.size(); b++) {
            Sample s = micro.get(b);
            if (s.labels().length != tokens) {
                throw new IllegalArgumentException(s.where() + ": " + s.labels().length + " labels, but the encoder hands "
                        + tokens + " tokens to the connector for this picture (its feature_layer / select and image size)");
            }
            for (int t = 0; t < tokens; t++) {
                int label = s.labels()[t];
                flat[b * (int) tokens + t] = label == IGNORED ? CausalLmLoss.IGNORE : label;
            }
        }
        NDArray weight = parameters().all().get(WEIGHT);
        NDArray bias = parameters().all().get(BIAS);
        NDArray logits = features.matMul(weight.transpose()).add(bias); // [B, N, C]
        NDArray labels = scope.create(flat, new Shape(micro.size(), tokens));
        return new Forward(logits, CausalLmLoss.alignedSum(logits, labels));
    }

    private record Forward(NDArray logits, NDArray sum) {}

    @Override
    public boolean hasEval() {
        return !evalData.isEmpty();
    }

    /**
     * {@code loss} (mean per labelled token), {@code accuracy} (of all labelled tokens) and
     * {@code mean_class_accuracy} (the accuracy of each class present, averaged: a rare class counts
     * as much as the background), and the accuracy of each class by name.
     */
    @Override
    public Map<String, Double> evaluate() {
        double loss = 0;
        long units = 0;
        long[] right = new long[classes.size()];
        long[] asked = new long[classes.size()];
        try (NDManager scope = manager.newSubManager()) {
            for (int from = 0; from < evalData.size(); from += evalBatch) {
                try (NDManager part = scope.newSubManager()) {
                    List<Sample> batch = evalData.subList(from, Math.min(evalData.size(), from + evalBatch)).stream()
                            .map(PatchLabelObjective::decode).toList();
                    Forward f = logits(batch, part);
                    loss += f.sum.getFloat();
                    long[] predicted = f.logits.argMax(-1).toType(DataType.INT64, false).toLongArray();
                    int tokens = (int) f.logits.getShape().get(1);
                    for (int b = 0; b < batch.size(); b++) {
                        int[] labels = batch.get(b).labels();
                        for (int t = 0; t < tokens; t++) {
                            int label = labels[t];
                            if (label == IGNORED) {
                                continue;
                            }
                            units++;
                            asked[label]++;
                            right[label] += predicted[b * tokens + t] == label ? 1 : 0;
                        }
                    }
                }
            }
        }
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("loss", units == 0 ? Double.NaN : loss / units);
        long allRight = 0;
        double classSum = 0;
        int present = 0;
        for (int c = 0; c < classes.size(); c++) {
            allRight += right[c];
            if (asked[c] > 0) {
                classSum += (double) right[c] / asked[c];
                present++;
            }
        }
        out.put("accuracy", units == 0 ? Double.NaN : (double) allRight / units);
        out.put("mean_class_accuracy", present == 0 ? Double.NaN : classSum / present);
        for (int c = 0; c < classes.size(); c++) {
            if (asked[c] > 0) {
                out.put("accuracy_" + classes.get(c), (double) right[c] / asked[c]);
            }
        }
        return out;
    }

    /** The tower as {@code contrastive} writes it; the head as {@code patch_head.safetensors} beside it. */
    @Override
    public void write(Path output, NDManager manager) {
        ModelWriter.write(output, config, slots.specs(), slots.components(), parameters(), manager);
        try (NDArray w = parameters().all().get(WEIGHT).stopGradient();
                NDArray b = parameters().all().get(BIAS).stopGradient()) {
            new SafeTensorsWriter().put(WEIGHT, w).put(BIAS, b)
                    .metadata("classes", String.join(",", classes))
                    .write(output.resolve(HEAD + ".safetensors"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + output.resolve(HEAD + ".safetensors") + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        slots.close();
        pipeline.close();
        manager.close();
    }
}
