package org.mix4j.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.api.Trainable;
import org.mix4j.config.ConfigException;
import org.mix4j.config.ConfigOverrides;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.pipelines.text.TextPipeline;
import org.mix4j.pipelines.understanding.UnderstandingPipeline;

/** mix train's causal_lm objective on the example recipes and the tiny suns data. */
class CausalLmTrainingTest extends WithRuntime {

    static final Path RECIPES = Path.of("../examples/train").toAbsolutePath().normalize();
    static final Path STAGE1 = RECIPES.resolve("tiny-llava-stage1.yaml");
    static final Path STAGE2 = RECIPES.resolve("tiny-llava-stage2-lora.yaml");

    @TempDir
    Path dir;

    /** Records what the run reports. */
    static final class Log implements Trainer.Listener {
        final List<Double> losses = new ArrayList<>();
        final Map<Integer, Double> evals = new LinkedHashMap<>();

        @Override
        public void step(Trainer.StepReport report) {
            losses.add(report.loss());
        }

        @Override
        public void eval(int step, Map<String, Double> metrics) {
            evals.put(step, metrics.get("loss"));
        }

        @Override
        public void saved(Path dir) {
        }
    }

    private static Map<String, float[]> values(Map<String, NDArray> tensors) {
        Map<String, float[]> out = new LinkedHashMap<>();
        tensors.forEach((name, t) -> out.put(name, t.stopGradient().toFloatArray()));
        return out;
    }

    @Test
    void stageOneLowersTheEvalLossTrainsOnlyTheConnectorAndTheResultLoadsWithMixRun() {
        Path out = dir.resolve("stage1");
        Map<String, float[]> frozenBefore;
        Map<String, float[]> trained;
        Log log = new Log();
        try (Trainer t = trainer(STAGE1, new ConfigOverrides().set("training.max_steps", 12, "test"), out)) {
            assertEquals(List.of("connector.linear_1.weight", "connector.linear_1.bias", "connector.linear_2.weight",
                    "connector.linear_2.bias"), List.copyOf(t.parameters().trainable().keySet()));
            Map<String, NDArray> frozen = new LinkedHashMap<>(t.parameters().all());
            frozen.keySet().removeIf(n -> n.startsWith("connector."));
            frozenBefore = values(frozen);
            Trainer.Result r = t.run(log, () -> false, null);
            assertEquals(12, r.steps());
            assertFalse(r.stopped());
            for (var e : frozen.entrySet()) {
                assertFalse(e.getValue().hasGradient(), e.getKey() + " is frozen: no gradient kept");
                assertArrayEquals(frozenBefore.get(e.getKey()), e.getValue().toFloatArray(), e.getKey() + " changed");
            }
            trained = values(t.parameters().trainable());
        }
        double before = log.evals.get(0);
        double after = log.evals.get(12);
        assertTrue(after < before - 0.25, "eval loss " + before + " -> " + after);
        try (UnderstandingPipeline loaded = UnderstandingPipeline.load(PipelineConfig.load(out.resolve("pipeline.yaml")),
                runtime.loader(), manager)) {
            Map<String, float[]> reloaded = values(((Trainable) loaded.component("connector")).parameters());
            for (var e : trained.entrySet()) {
                assertArrayEquals(e.getValue(), reloaded.get(e.getKey().substring("connector.".length())), e.getKey());
            }
        }
    }

    /** task: text writes conversations as its inference does; only the reply (and its end token) is a target. */
    @Test
    void textPipelineSamplesTargetTheReplyOnlyAndRefuseImages() {
        PipelineConfig config = PipelineConfig.load(RECIPES.resolve("tiny-text-lora.yaml"), new ConfigOverrides());
        try (TextPipeline p = TextPipeline.load(config, runtime.loader(), manager)) {
            CausalLmEncoder encoder = new CausalLmEncoder(CausalLmModel.of(p), null, 0);
            var sample = ConversationData.read(RECIPES.resolve("data/colors.jsonl")).get(0); // the red car
            CausalLmEncoder.Encoded e = encoder.encode(sample);
            long[] targets = java.util.Arrays.stream(e.labels()).filter(l -> l != CausalLmLoss.IGNORE).toArray();
            assertEquals("the car is red . </s>", p.tokenizer().decode(targets, false));
            // as inference writes it: the chat template's text, tokenized without an added <s> (the template has none)
            assertEquals("user : what color is the red car ? assistant : the car is red . </s>",
                    p.tokenizer().decode(e.ids(), false));
            assertArrayEquals(p.encodePrompt(List.of(Map.of("role", "user", "content", "what color is the red car ?"))),
                    java.util.Arrays.copyOf(e.ids(), e.ids().length - targets.length));
            var withImage = new ConversationData.Sample("x.jsonl:3", List.of(RECIPES.resolve("data/sun-red-big-on-white.png")),
                    sample.turns());
            IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> encoder.encode(withImage));
            assertTrue(error.getMessage().startsWith("x.jsonl:3: a sample with images"), error.getMessage());
        }
    }

    @Test
    void gradientAccumulationEqualsOneBigBatch() {
        ConfigOverrides accumulated = new ConfigOverrides().set("training.max_steps", 3, "test")
                .set("training.micro_batch_size", 1, "test").set("training.gradient_accumulation", 4, "test")
                .unset("training.eval_data", "test");
        ConfigOverrides big = new ConfigOverrides().set("training.max_steps", 3, "test")
                .set("training.micro_batch_size", 4, "test").set("training.gradient_accumulation", 1, "test");
        Map<String, float[]> a;
        Map<String, float[]> b;
        Log logA = new Log();
        Log logB = new Log();
        try (Trainer t = trainer(STAGE1, accumulated, dir.resolve("a"))) {
            t.run(logA, () -> false, null);
            a = values(t.parameters().trainable());
        }
        try (Trainer t = trainer(STAGE1, big, dir.resolve("b"))) {
            t.run(logB, () -> false, null);
            b = values(t.parameters().trainable());
        }
        for (int i = 0; i < 3; i++) {
            assertEquals(logB.losses.get(i), logA.losses.get(i), 1e-5, "loss of step " + i);
        }
        for (var e : a.entrySet()) {
            float[] x = e.getValue();
            float[] y = b.get(e.getKey());
            for (int i = 0; i < x.length; i++) {
                assertEquals(y[i], x[i], 1e-5, e.getKey() + "[" + i + "]");
            }
        }
    }

    @Test
    void anInterruptedAndResumedRunEqualsTheUninterruptedOne() {
        ConfigOverrides six = new ConfigOverrides().set("training.max_steps", 6, "test");
        Log straight = new Log();
        Map<String, float[]> expected;
        try (Trainer t = trainer(STAGE2, six, dir.resolve("straight"))) {
            t.run(straight, () -> false, null);
            expected = values(t.parameters().trainable());
        }
        Path out = dir.resolve("interrupted");
        Log first = new Log();
        try (Trainer t = trainer(STAGE2, six, out)) {
            Trainer.Result r = t.run(first, () -> first.losses.size() >= 3, null); // Ctrl-C after step 3
            assertTrue(r.stopped());
            assertEquals(3, r.steps());
        }
        Log second = new Log();
        Map<String, float[]> resumed;
        try (Trainer t = trainer(STAGE2, six, out)) {
            t.run(second, () -> false, out.resolve("state"));
            resumed = values(t.parameters().trainable());
        }
        List<Double> curve = new ArrayList<>(first.losses);
        curve.addAll(second.losses);
        assertEquals(straight.losses.size(), curve.size());
        for (int i = 0; i < curve.size(); i++) {
            assertEquals(straight.losses.get(i), curve.get(i), 1e-6, "loss of step " + (i + 1));
        }
        for (var e : expected.entrySet()) {
            assertArrayEquals(e.getValue(), resumed.get(e.getKey()), 1e-6f, e.getKey());
        }
    }

    @Test
    void loraTrainingWritesAMergedCheckpointAndAPeftAdapter() throws Exception {
        Path out = dir.resolve("stage2");
        try (Trainer t = trainer(STAGE2, new ConfigOverrides().set("training.max_steps", 2, "test"), out)) {
            assertTrue(t.parameters().trainable().keySet().stream().anyMatch(n -> n.endsWith("q_proj.lora_A.weight")));
            t.run(new Log(), () -> false, null);
        }
        assertTrue(Files.isRegularFile(out.resolve("adapter/adapter_config.json")));
        assertTrue(Files.readString(out.resolve("adapter/adapter_config.json")).contains("q_proj"));
        assertTrue(Files.isRegularFile(out.resolve("model.safetensors")));
        assertTrue(Files.isRegularFile(out.resolve("tokenizer.json")), "mix run --model OUT finds the tokenizer");
        try (UnderstandingPipeline loaded = UnderstandingPipeline.load(PipelineConfig.load(out.resolve("pipeline.yaml")),
                runtime.loader(), manager)) {
            assertFalse(loaded.answer(List.of(org.mix4j.image.ImageDecoder.readRgb(
                    RECIPES.resolve("data/sun-red-big-on-white.png"))), "describe the picture .", null).texts().isEmpty());
        }
    }

    /**
     * Globs on checkpoint names reach projections fused at load (the tower's k_proj, the decoder's
     * q_proj and gate_proj), and the written checkpoint holds them under those names, the rest as loaded.
     */
    @Test
    void fusedProjectionsTrainByCheckpointNameAndAreWrittenUnderIt() throws Exception {
        Path out = dir.resolve("fused");
        Map<String, float[]> trained = new LinkedHashMap<>();
        try (Trainer t = trainer(STAGE1, new ConfigOverrides().set("training.trainable", List.of(
                "llm.model.layers.*.self_attn.q_proj.*", "llm.model.layers.0.mlp.gate_proj.weight", "encoder.*.k_proj.*"),
                "test").set("training.max_steps", 2, "test").unset("training.eval_data", "test"), out)) {
            assertTrue(t.parameters().trainable().containsKey("llm.model.layers.0.mlp.gate_proj.weight"));
            assertTrue(t.parameters().trainable().containsKey("encoder.vision_model.encoder.layers.0.self_attn.k_proj.bias"));
            t.run(new Log(), () -> false, null);
            t.parameters().trainable().forEach((name, p) -> trained.put(name.startsWith("llm.")
                    ? "language_model." + name.substring(4) : "vision_tower." + name.substring("encoder.".length()),
                    p.stopGradient().toFloatArray()));
        }
        Path base = RECIPES.resolve("../../testdata/golden/llava").normalize();
        try (NDManager scope = manager.newSubManager();
                org.mix4j.weights.Checkpoint written = org.mix4j.weights.Checkpoint.open(out);
                org.mix4j.weights.Checkpoint original = org.mix4j.weights.Checkpoint.open(base)) {
            assertEquals(original.tensors().keySet(), written.tensors().keySet());
            var w = written.weights(scope, ai.djl.ndarray.types.DataType.FLOAT32);
            var o = original.weights(scope, ai.djl.ndarray.types.DataType.FLOAT32);
            for (String name : original.tensors().keySet()) {
                assertEquals(original.tensors().get(name).shape(), written.tensors().get(name).shape(), name);
                float[] value = w.get(name).toFloatArray();
                float[] before = o.get(name).toFloatArray();
                if (trained.containsKey(name)) {
                    assertArrayEquals(trained.get(name), value, name);
                    // the tower's last layer is past the features LLaVA takes (vision_feature_layer -2): no
                    // gradient, no update. A key bias gets none either in exact arithmetic (softmax does not see a
                    // shift of every score of a query), but AdamW scales float32 round-off up to a step: not asserted
                    if (!name.endsWith("k_proj.bias")) {
                        boolean stays = name.startsWith("vision_tower.vision_model.encoder.layers.1.");
                        assertEquals(stays, java.util.Arrays.equals(before, value), name + (stays ? " changed" : " did not train"));
                    }
                } else {
                    assertArrayEquals(before, value, name + " changed");
                }
            }
        }
    }

    @Test
    void badRecipesAndDataAreClearErrors() throws Exception {
        ConfigException noSlot = assertThrows(ConfigException.class, () -> trainer(STAGE1,
                new ConfigOverrides().set("training.lr", "fast", "--lr"), dir));
        assertTrue(noSlot.getMessage().contains("training.lr"), noSlot.getMessage());
        IllegalArgumentException glob = assertThrows(IllegalArgumentException.class, () -> trainer(STAGE1,
                new ConfigOverrides().set("training.trainable", List.of("conector"), "test"), dir));
        assertTrue(glob.getMessage().contains("'conector' matches no parameter"), glob.getMessage());
        Path bad = dir.resolve("bad.jsonl");
        Files.writeString(bad, "{\"image\": \"x.png\", \"conversations\": [{\"from\": \"human\", \"value\": \"hi\"}, "
                + "{\"from\": \"gpt\", \"value\": \"a\"}]}\n{not json\n");
        IllegalArgumentException data = assertThrows(IllegalArgumentException.class, () -> trainer(STAGE1,
                new ConfigOverrides().set("training.data", bad.toString(), "test"), dir));
        assertTrue(data.getMessage().startsWith(bad + ":2: not a JSON object"), data.getMessage());
    }

    @Test
    void packingGivesThePaddedLossAndUpdates() {
        String mixed = RECIPES.resolve("data/suns-mixed.jsonl").toString();
        Log padded = new Log();
        Log packed = new Log();
        Map<String, float[]> a;
        Map<String, float[]> b;
        try (Trainer t = trainer(STAGE1, new ConfigOverrides().set("training.max_steps", 2, "test")
                .set("training.data", mixed, "test").set("training.micro_batch_size", 4, "test"), dir.resolve("padded"))) {
            t.run(padded, () -> false, null);
            a = values(t.parameters().trainable());
        }
        try (Trainer t = trainer(STAGE1, new ConfigOverrides().set("training.max_steps", 2, "test")
                .set("training.data", mixed, "test").set("training.micro_batch_size", 4, "test")
                .set("training.packing", true, "test"), dir.resolve("packed"))) {
            t.run(packed, () -> false, null);
            b = values(t.parameters().trainable());
        }
        for (int i = 0; i < 2; i++) {
            assertEquals(padded.losses.get(i), packed.losses.get(i), 1e-5, "loss of step " + i);
        }
        for (var e : a.entrySet()) {
            float[] x = e.getValue();
            float[] y = b.get(e.getKey());
            for (int i = 0; i < x.length; i++) {
                assertEquals(x[i], y[i], 1e-5, e.getKey() + "[" + i + "]");
            }
        }
    }

    @Test
    void aSmallModelOverfitsTwoSamplesAndThenAnswersWithTheirCaptions() throws Exception {
        Path data = dir.resolve("two.jsonl");
        List<String> lines = Files.readAllLines(RECIPES.resolve("data/suns.jsonl")).subList(0, 2);
        Files.write(data, lines.stream().map(l -> l.replace("\"image\": \"", "\"image\": \"" + RECIPES.resolve("data") + "/"))
                .toList());
        Log log = new Log();
        Path out = dir.resolve("overfit");
        try (Trainer t = trainer(STAGE1, new ConfigOverrides().set("training.data", data.toString(), "test")
                .unset("training.eval_data", "test").set("training.trainable", List.of("connector", "llm"), "test")
                .set("training.lr", 0.01, "test").set("training.schedule", "constant", "test")
                .set("training.warmup_steps", 0, "test").set("training.max_steps", 25, "test"), out)) {
            t.run(log, () -> false, null);
        }
        assertTrue(log.losses.get(0) > 4, log.losses.toString());
        assertTrue(log.losses.get(log.losses.size() - 1) < 0.05, "near zero after 25 steps: " + log.losses);
        try (UnderstandingPipeline trained = UnderstandingPipeline.load(PipelineConfig.load(out.resolve("pipeline.yaml")),
                runtime.loader(), manager)) {
            for (String line : lines) {
                var sample = com.google.gson.JsonParser.parseString(line).getAsJsonObject();
                String image = sample.get("image").getAsString();
                String caption = sample.getAsJsonArray("conversations").get(1).getAsJsonObject().get("value").getAsString();
                String answer = trained.answer(List.of(org.mix4j.image.ImageDecoder.readRgb(RECIPES.resolve("data")
                        .resolve(image))), "describe the picture .", null).texts().get(0);
                assertEquals(caption, answer.strip(), image);
            }
        }
    }
}
