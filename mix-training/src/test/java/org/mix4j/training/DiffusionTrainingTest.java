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
import org.mix4j.api.ProgressListener;
import org.mix4j.config.ConfigException;
import org.mix4j.config.ConfigOverrides;
import org.mix4j.image.ImageDecoder;
import org.mix4j.pipelines.generation.DiffusersLayout;
import org.mix4j.pipelines.generation.GenerationComponents;
import org.mix4j.pipelines.generation.GenerationRequest;
import org.mix4j.pipelines.generation.Images;
import org.mix4j.pipelines.generation.StableDiffusionPipeline;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.pipelines.task.Presets;
import org.mix4j.weights.Checkpoint;

/** mix train's diffusion objective on the tiny SD recipe and the suns' caption pairs. */
class DiffusionTrainingTest extends WithRuntime {

    static final Path RECIPES = CausalLmTrainingTest.RECIPES;
    static final Path RECIPE = RECIPES.resolve("tiny-sd-lora.yaml");
    static final Path FULL_RECIPE = RECIPES.resolve("tiny-sd-full.yaml");

    @TempDir
    Path dir;

    private Trainer trainer(ConfigOverrides overrides, Path out) {
        return trainer(RECIPE, overrides, out);
    }

    private static Map<String, float[]> values(Map<String, NDArray> tensors) {
        Map<String, float[]> out = new LinkedHashMap<>();
        tensors.forEach((name, t) -> out.put(name, t.stopGradient().toFloatArray()));
        return out;
    }

    /** Two pictures as caption pairs, for training and as the held-out set. */
    private Path twoPictures() throws Exception {
        Path file = dir.resolve("two.jsonl");
        Files.writeString(file, String.join("\n",
                "{\"image\": \"" + RECIPES.resolve("data/sun-red-big-on-white.png") + "\", \"caption\": \"a big red sun\"}",
                "{\"image\": \"" + RECIPES.resolve("data/sun-blue-small-on-black.png") + "\", \"caption\": \"a small blue sun\"}"));
        return file;
    }

    /** The VAE posterior mean of one picture: the VAE's outputs unchanged, not only its listed tensors. */
    private static float[] vaeMean(DiffusionObjective objective) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray pixels = Images.pixelValues(ImageDecoder.readRgb(RECIPES.resolve("data/sun-red-big-on-white.png")),
                    scope).get(":, :, :16, :16");
            return objective.components().vae().encode(pixels).mean().toFloatArray();
        }
    }

    /** The text encoder's hidden states of one caption (the CLIP text encoder is not Trainable either). */
    private static float[] captionStates(DiffusionObjective objective) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray ids = scope.create(objective.components().tokenizer().encodeBatch(List.of("a big red sun"), 16).ids()[0])
                    .expandDims(0);
            return objective.components().textEncoder().encode(ids, null).lastHiddenState().toFloatArray();
        }
    }

    @Test
    void loraOverfitsTwoPicturesAndLeavesTheFrozenPartsUnchanged() throws Exception {
        Path data = twoPictures();
        ConfigOverrides o = new ConfigOverrides().set("training.data", data.toString(), "test")
                .set("training.eval_data", data.toString(), "test").set("training.micro_batch_size", 2, "test")
                .set("training.max_steps", 20, "test").set("training.eval_every", 0, "test")
                .set("training.lr", 0.02, "test");
        CausalLmTrainingTest.Log log = new CausalLmTrainingTest.Log();
        try (Trainer t = trainer(o, dir.resolve("overfit"))) {
            DiffusionObjective objective = (DiffusionObjective) t.objective();
            assertTrue(t.parameters().trainable().keySet().stream().allMatch(n -> n.startsWith("denoiser.")
                    && n.contains(".lora_")), "only LoRA factors train: " + t.parameters().trainable().keySet());
            assertTrue(t.parameters().trainable().keySet().stream().anyMatch(n -> n.endsWith("to_out.0.lora_B.weight")));
            Map<String, NDArray> frozen = t.parameters().all();
            assertTrue(frozen.keySet().stream().anyMatch(n -> n.startsWith("denoiser.") && n.contains("to_q")));
            Map<String, float[]> before = values(frozen);
            float[] vaeBefore = vaeMean(objective);
            float[] textBefore = captionStates(objective);
            Trainer.Result r = t.run(log, () -> false, null);
            assertEquals(20, r.steps());
            for (var e : frozen.entrySet()) {
                assertFalse(e.getValue().hasGradient(), e.getKey() + " is frozen: no gradient kept");
                assertArrayEquals(before.get(e.getKey()), e.getValue().toFloatArray(), e.getKey() + " changed");
            }
            assertArrayEquals(vaeBefore, vaeMean(objective), "the VAE changed");
            assertArrayEquals(textBefore, captionStates(objective), "the text encoder changed");
        }
        double first = log.evals.get(0);
        double last = log.evals.get(20);
        // measured: 1.213 -> 0.895 (LoRA alone on a random tiny UNet whose convolutions stay frozen learns slowly)
        assertTrue(last < 0.8 * first, "eval loss on the two training pictures " + first + " -> " + last);
    }

    /**
     * The whole-UNet recipe trains every UNet tensor (convolutions and norms included) and, on the two
     * pictures, lowers the held-out loss further in 10 steps than the LoRA recipe does.
     */
    @Test
    void theWholeUnetRecipeTrainsEveryTensorAndLearnsFasterThanLora() throws Exception {
        Path data = twoPictures();
        ConfigOverrides o = new ConfigOverrides().set("training.data", data.toString(), "test")
                .set("training.eval_data", data.toString(), "test").set("training.micro_batch_size", 2, "test")
                .set("training.max_steps", 10, "test").set("training.eval_every", 0, "test");
        CausalLmTrainingTest.Log full = new CausalLmTrainingTest.Log();
        long start = System.nanoTime();
        try (Trainer t = trainer(FULL_RECIPE, o, dir.resolve("full")); Checkpoint unet = Checkpoint.open(
                RECIPES.resolve("../../testdata/golden/sd_pipeline/unet").normalize())) {
            Map<String, NDArray> trainable = t.parameters().trainable();
            assertEquals(unet.tensors().keySet(), new java.util.TreeSet<>(trainable.keySet().stream()
                    .map(n -> n.substring("denoiser.".length())).toList()), "every UNet tensor trains");
            List<String> watched = List.of("denoiser.conv_in.weight", "denoiser.down_blocks.0.resnets.0.norm1.weight",
                    "denoiser.mid_block.attentions.0.transformer_blocks.0.norm1.bias", "denoiser.conv_out.bias");
            Map<String, float[]> before = values(Map.of(watched.get(0), trainable.get(watched.get(0)), watched.get(1),
                    trainable.get(watched.get(1)), watched.get(2), trainable.get(watched.get(2)), watched.get(3),
                    trainable.get(watched.get(3))));
            t.run(full, () -> false, null);
            for (String name : watched) {
                assertFalse(java.util.Arrays.equals(before.get(name), trainable.get(name).toFloatArray()), name + " did not train");
            }
        }
        double fullSeconds = (System.nanoTime() - start) / 1e9;
        CausalLmTrainingTest.Log lora = new CausalLmTrainingTest.Log();
        start = System.nanoTime();
        try (Trainer t = trainer(RECIPE, o, dir.resolve("lora"))) {
            t.run(lora, () -> false, null);
        }
        double loraSeconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("10 steps on two pictures: whole UNet eval loss %.3f -> %.3f (%.1f s), LoRA %.3f -> %.3f (%.1f s)%n",
                full.evals.get(0), full.evals.get(10), fullSeconds, lora.evals.get(0), lora.evals.get(10), loraSeconds);
        assertTrue(full.evals.get(10) < 0.8 * full.evals.get(0), "whole UNet: " + full.evals);
        assertTrue(full.evals.get(10) < lora.evals.get(10), "whole UNet " + full.evals + " vs LoRA " + lora.evals);
    }

    @Test
    void anInterruptedAndResumedRunEqualsTheUninterruptedOne() {
        ConfigOverrides four = new ConfigOverrides().set("training.max_steps", 4, "test")
                .set("training.micro_batch_size", 2, "test").unset("training.eval_data", "test");
        CausalLmTrainingTest.Log straight = new CausalLmTrainingTest.Log();
        Map<String, float[]> expected;
        try (Trainer t = trainer(four, dir.resolve("straight"))) {
            t.run(straight, () -> false, null);
            expected = values(t.parameters().trainable());
        }
        Path out = dir.resolve("interrupted");
        CausalLmTrainingTest.Log first = new CausalLmTrainingTest.Log();
        try (Trainer t = trainer(four, out)) {
            Trainer.Result r = t.run(first, () -> first.losses.size() >= 2, null); // Ctrl-C after step 2
            assertTrue(r.stopped());
            assertEquals(2, r.steps());
        }
        CausalLmTrainingTest.Log second = new CausalLmTrainingTest.Log();
        Map<String, float[]> resumed;
        try (Trainer t = trainer(four, out)) {
            t.run(second, () -> false, out.resolve("state"));
            resumed = values(t.parameters().trainable());
        }
        List<Double> curve = new ArrayList<>(first.losses);
        curve.addAll(second.losses);
        assertEquals(4, curve.size());
        for (int i = 0; i < curve.size(); i++) {
            assertEquals(straight.losses.get(i), curve.get(i), 1e-6, "loss of step " + (i + 1));
        }
        assertTrue(straight.losses.stream().distinct().count() == 4, "each step draws its own noise: " + straight.losses);
        for (var e : expected.entrySet()) {
            assertArrayEquals(e.getValue(), resumed.get(e.getKey()), 1e-6f, e.getKey());
        }
    }

    /** One image of {@code config}'s pipeline (3 DDIM steps, a fixed seed, whatever the YAML's settings) as pixels. */
    private static float[] image(PipelineConfig config) {
        try (NDManager scope = manager.newSubManager();
                GenerationComponents parts = GenerationComponents.load(config, runtime.loader(), scope)) {
            return image(parts);
        }
    }

    private static float[] image(GenerationComponents parts) {
        try (NDManager scope = manager.newSubManager()) {
            GenerationRequest request = GenerationRequest.builder().prompt("a big red sun").steps(3).seed(42)
                    .guidanceScale(7.5).build();
            return new StableDiffusionPipeline(parts).generate(request, ProgressListener.NONE, scope).decoded()
                    .toFloatArray();
        }
    }

    private static double maxDifference(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    @Test
    void theWrittenFolderLoadsAsADiffusersModelAndTheLoraFileOnTheBaseDrawsTheSameImage() throws Exception {
        Path out = dir.resolve("written");
        float[] trained;
        int trainable;
        try (Trainer t = trainer(new ConfigOverrides().set("training.max_steps", 2, "test").set("training.lr", 0.05, "test")
                .set("training.micro_batch_size", 2, "test").unset("training.eval_data", "test"), out)) {
            t.run(new CausalLmTrainingTest.Log(), () -> false, null);
            trainable = t.parameters().trainable().size();
            DiffusionObjective objective = (DiffusionObjective) t.objective();
            trained = image(objective.components());
            PipelineConfig loraOnly = PipelineConfig.load(RECIPE, new ConfigOverrides().set("training.merge_lora", false, "test"));
            DiffusersWriter.write(dir.resolve("lora-only"), loraOnly, objective.slots(), Trainer.settings(loraOnly), manager);
        }
        assertTrue(Files.isRegularFile(out.resolve("unet/diffusion_pytorch_model.safetensors")));
        assertTrue(Files.isRegularFile(out.resolve("tokenizer/vocab.json")), "the recipe's tokenizer is copied in");
        String adapter = Files.readString(out.resolve("adapter/adapter_config.json"));
        assertTrue(adapter.contains("\"lora_alpha\": 4") && adapter.contains("\"to_out.0\""), adapter);
        try (Checkpoint lora = Checkpoint.open(out.resolve(DiffusersWriter.LORA_FILE))) {
            assertTrue(lora.tensors().containsKey("unet.down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.lora_A.weight"),
                    lora.tensors().keySet().toString());
            assertEquals(trainable, lora.tensors().size(), "every LoRA factor, nothing else");
        }
        PipelineConfig preset = Presets.parse(DiffusersLayout.document(out, DiffusersLayout.modelIndex(out),
                runtime.registry(), null).orElseThrow(), out, new ConfigOverrides()); // mix generate --model OUT
        float[] merged = image(preset);
        float[] written = image(PipelineConfig.load(out.resolve("pipeline.yaml")));
        float[] perRequest = image(PipelineConfig.load(out.resolve("lora.yaml")));
        float[] base = image(PipelineConfig.load(RECIPE));
        assertTrue(maxDifference(trained, merged) < 1e-4, "merged checkpoint vs the model as trained: "
                + maxDifference(trained, merged));
        assertTrue(maxDifference(merged, written) < 1e-6, "pipeline.yaml vs --model: " + maxDifference(merged, written));
        assertTrue(maxDifference(merged, perRequest) < 1e-4, "base + LoRA file vs merged: "
                + maxDifference(merged, perRequest));
        assertTrue(maxDifference(merged, base) > 1e-3, "the LoRA changes the image: " + maxDifference(merged, base));
        // merge_lora: false writes no model, only the LoRA (and the adapter) with the base pipeline applying it
        Path loraOnly = dir.resolve("lora-only");
        assertFalse(Files.exists(loraOnly.resolve("unet")) || Files.exists(loraOnly.resolve("model_index.json")));
        assertTrue(Files.isRegularFile(loraOnly.resolve("adapter/adapter_model.safetensors")));
        assertTrue(maxDifference(perRequest, image(PipelineConfig.load(loraOnly.resolve("pipeline.yaml")))) < 1e-6);
    }

    /** Scheduler keys set in the YAML reach the written folder's scheduler_config.json: --model samples as trained. */
    @Test
    void theYamlsSchedulerKeysAreWrittenIntoTheFoldersSchedulerConfig() throws Exception {
        Path out = dir.resolve("v");
        try (Trainer t = trainer(FULL_RECIPE, new ConfigOverrides().set("training.max_steps", 1, "test")
                .set("training.micro_batch_size", 2, "test").unset("training.eval_data", "test")
                .set("scheduler.prediction_type", "v_prediction", "test")
                .set("scheduler.timestep_spacing", "trailing", "test"), out)) {
            t.run(new CausalLmTrainingTest.Log(), () -> false, null);
        }
        String config = Files.readString(out.resolve("scheduler/scheduler_config.json"));
        assertTrue(config.contains("\"prediction_type\": \"v_prediction\"") && config.contains("\"timestep_spacing\": "
                + "\"trailing\"") && config.contains("\"beta_schedule\": \"scaled_linear\""), config);
        PipelineConfig preset = Presets.parse(DiffusersLayout.document(out, DiffusersLayout.modelIndex(out),
                runtime.registry(), null).orElseThrow(), out, new ConfigOverrides()); // mix generate --model OUT
        assertTrue(maxDifference(image(preset), image(PipelineConfig.load(out.resolve("pipeline.yaml")))) < 1e-6);
    }

    @Test
    void badDataIsAnErrorNamingTheDataFileAndLine() throws Exception {
        Path missing = dir.resolve("missing.jsonl");
        Files.writeString(missing, "{\"image\": \"" + RECIPES.resolve("data/sun-red-big-on-white.png")
                + "\", \"caption\": \"a sun\"}\n{\"image\": \"nowhere.png\", \"caption\": \"no sun\"}\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> trainer(new ConfigOverrides().set("training.data", missing.toString(), "test"), dir.resolve("m")));
        assertTrue(e.getMessage().contains(missing + ":2") && e.getMessage().contains("nowhere.png"), e.getMessage());

        Path garbage = dir.resolve("garbage.png");
        Files.writeString(garbage, "not a picture");
        Path broken = dir.resolve("broken.jsonl");
        Files.writeString(broken, "{\"image\": \"garbage.png\", \"caption\": \"a sun\"}\n");
        try (Trainer t = trainer(new ConfigOverrides().set("training.data", broken.toString(), "test")
                .unset("training.eval_data", "test"), dir.resolve("b"))) {
            IllegalArgumentException d = assertThrows(IllegalArgumentException.class,
                    () -> t.run(new CausalLmTrainingTest.Log(), () -> false, null));
            assertTrue(d.getMessage().startsWith(broken + ":1: ") && d.getMessage().contains("garbage.png"), d.getMessage());
        }
    }

    @Test
    void theObjectiveTrainsGenerationPipelinesWithAnEpsilonOrVelocityTarget() {
        ConfigException task = assertThrows(ConfigException.class, () -> {
            PipelineConfig c = PipelineConfig.load(CausalLmTrainingTest.STAGE1,
                    new ConfigOverrides().set("training.objective", "diffusion", "test"));
            new Trainer(c, Trainer.settings(c), RECIPES, dir, runtime.loader(), manager).close();
        });
        assertTrue(task.getMessage().contains("task") && task.getMessage().contains("generation"), task.getMessage());
        ConfigException sample = assertThrows(ConfigException.class,
                () -> trainer(new ConfigOverrides().set("scheduler.prediction_type", "sample", "test"), dir).close());
        assertTrue(sample.getMessage().contains("scheduler.prediction_type"), sample.getMessage());

        ConfigException mergeLora = assertThrows(ConfigException.class, () -> Trainer.settings(PipelineConfig.load(
                CausalLmTrainingTest.STAGE1, new ConfigOverrides().set("training.merge_lora", false, "test"))));
        assertTrue(mergeLora.getMessage().contains("merge_lora"), mergeLora.getMessage());
        IllegalArgumentException resolution = assertThrows(IllegalArgumentException.class,
                () -> trainer(new ConfigOverrides().set("training.resolution", 15, "test"), dir).close());
        assertTrue(resolution.getMessage().contains("training.resolution 15"), resolution.getMessage());

        double[] losses = new double[2];
        String[] types = {"epsilon", "v_prediction"};
        for (int i = 0; i < 2; i++) {
            try (Trainer t = trainer(new ConfigOverrides().set("scheduler.prediction_type", types[i], "test"), dir);
                    NDManager scope = manager.newSubManager()) {
                DiffusionObjective objective = (DiffusionObjective) t.objective();
                losses[i] = objective.lossSum(List.of(objective.prepare(0), objective.prepare(1)), 7, scope).getFloat();
            }
        }
        assertTrue(Double.isFinite(losses[1]) && Math.abs(losses[0] - losses[1]) > 1e-3,
                "the v-prediction target is not the noise: " + losses[0] + " vs " + losses[1]);
    }

    /**
     * snr_gamma (Min-SNR): an image's MSE is weighed by {@code min(SNR, gamma) / SNR} of its timestep,
     * the SNR recomputed here from the fixture's schedule (SD's scaled_linear, 0.00085 to 0.012 over
     * 1000 steps) in double precision. One image per micro-batch, so the timestep is the seed's first
     * draw: a nearly clean one (SNR above gamma, weight below 1) and a noisy one (weight 1).
     */
    @Test
    void snrGammaWeighsEachImageByMinSnrOverSnr() {
        double gamma = 5;
        double[] acp = new double[1000];
        double product = 1;
        for (int i = 0; i < 1000; i++) {
            double root = Math.sqrt(0.00085) + i * (Math.sqrt(0.012) - Math.sqrt(0.00085)) / 999;
            product *= 1 - root * root;
            acp[i] = product;
        }
        long clean = -1;
        long noisy = -1;
        for (long seed = 0; clean < 0 || noisy < 0; seed++) {
            int t = new java.util.Random(seed).nextInt(1000);
            clean = clean < 0 && t < 60 ? seed : clean;
            noisy = noisy < 0 && t > 400 ? seed : noisy;
        }
        for (long seed : new long[] {clean, noisy}) {
            double[] losses = new double[2];
            for (int g = 0; g < 2; g++) {
                ConfigOverrides o = g == 0 ? new ConfigOverrides() : new ConfigOverrides().set("training.snr_gamma", gamma, "test");
                try (Trainer t = trainer(o, dir); NDManager scope = manager.newSubManager()) {
                    DiffusionObjective objective = (DiffusionObjective) t.objective();
                    losses[g] = objective.lossSum(List.of(objective.prepare(0)), seed, scope).getFloat();
                }
            }
            int t = new java.util.Random(seed).nextInt(1000);
            double snr = acp[t] / (1 - acp[t]);
            double expected = Math.min(snr, gamma) / snr;
            assertEquals(expected, losses[1] / losses[0], 1e-4, "timestep " + t + " (SNR " + snr + ")");
            if (seed == clean) {
                assertTrue(expected < 0.5, "the clean timestep " + t + " should weigh less: " + expected);
            }
        }
        ConfigException zero = assertThrows(ConfigException.class,
                () -> trainer(new ConfigOverrides().set("training.snr_gamma", 0, "test"), dir).close());
        assertTrue(zero.getMessage().contains("snr_gamma"), zero.getMessage());
    }

    /**
     * timestep_bias: training draws its timesteps by their weights (a one-in-a-hundred range weighed a
     * million times), strategy none draws as without the section, and the held-out loss stays on
     * uniform draws whatever the section says, so evaluations compare across recipes.
     */
    @Test
    void timestepBiasChangesTheTrainingDrawsButNotTheHeldOutLoss() throws Exception {
        Path data = twoPictures();
        List<Map<String, Object>> biases = List.of(Map.of(), Map.of("strategy", "none", "multiplier", 5),
                Map.of("strategy", "range", "begin", 990, "end", 1000, "multiplier", 1e6));
        double[] train = new double[3];
        double[] held = new double[3];
        for (int b = 0; b < 3; b++) {
            ConfigOverrides o = new ConfigOverrides().set("training.data", data.toString(), "test")
                    .set("training.eval_data", data.toString(), "test");
            if (!biases.get(b).isEmpty()) {
                o.set("training.timestep_bias", biases.get(b), "test");
            }
            try (Trainer t = trainer(o, dir.resolve("bias" + b)); NDManager scope = manager.newSubManager()) {
                DiffusionObjective objective = (DiffusionObjective) t.objective();
                train[b] = objective.lossSum(List.of(objective.prepare(0), objective.prepare(1)), 11, scope).getFloat();
                held[b] = objective.evaluate().get("loss");
            }
        }
        assertEquals(train[0], train[1], 0, "strategy none draws as without the section");
        assertTrue(Math.abs(train[2] - train[0]) > 1e-4, "the biased draws differ: " + train[0] + " vs " + train[2]);
        assertEquals(held[0], held[2], 0, "the held-out loss draws uniformly either way");
        ConfigException other = assertThrows(ConfigException.class, () -> Trainer.settings(PipelineConfig.load(
                CausalLmTrainingTest.STAGE1, new ConfigOverrides().set("training.timestep_bias",
                        Map.of("strategy", "later", "multiplier", 2), "test"))));
        assertTrue(other.getMessage().contains("timestep_bias belongs to objective: diffusion"), other.getMessage());
    }

    /**
     * caption_dropout: a dropped image trains with the empty caption, so its loss no longer depends on
     * its caption; the noise drawn for it is the same as without dropout (the dropout draws come after).
     */
    @Test
    void aDroppedCaptionTrainsAsTheEmptyPrompt() {
        double[][] losses = new double[2][2]; // [dropout 0 / nearly 1][caption A / B]
        double[] dropouts = {0, 0.999999};
        for (int d = 0; d < 2; d++) {
            try (Trainer t = trainer(new ConfigOverrides().set("training.caption_dropout", dropouts[d], "test"), dir);
                    NDManager scope = manager.newSubManager()) {
                DiffusionObjective objective = (DiffusionObjective) t.objective();
                DiffusionObjective.Sample sample = objective.prepare(0);
                String[] captions = {"a big red sun", "a small blue sun on black"};
                for (int c = 0; c < 2; c++) {
                    DiffusionObjective.Sample s = new DiffusionObjective.Sample(new CaptionData.Pair(
                            sample.pair().where(), sample.pair().image(), captions[c]), sample.image());
                    losses[d][c] = objective.lossSum(List.of(s), 5, scope).getFloat();
                }
            }
        }
        assertTrue(Math.abs(losses[0][0] - losses[0][1]) > 1e-5, "without dropout the caption matters: "
                + java.util.Arrays.toString(losses[0]));
        assertEquals(losses[1][0], losses[1][1], 1e-7, "dropped, the caption does not matter");
        assertTrue(Math.abs(losses[1][0] - losses[0][0]) > 1e-5, "the empty prompt is not the caption");
        ConfigException range = assertThrows(ConfigException.class,
                () -> trainer(new ConfigOverrides().set("training.caption_dropout", 1.0, "test"), dir).close());
        assertTrue(range.getMessage().contains("caption_dropout"), range.getMessage());
    }

    @Test
    void trainingTheWholeDenoiserWritesItsTrainedWeightsAndNothingElse() throws Exception {
        Path out = dir.resolve("full");
        Map<String, float[]> trained;
        try (Trainer t = trainer(new ConfigOverrides().unset("training.lora", "test")
                .set("training.trainable", List.of("denoiser"), "test").set("training.max_steps", 1, "test")
                .set("training.micro_batch_size", 1, "test").unset("training.eval_data", "test"), out)) {
            assertTrue(t.parameters().trainable().keySet().stream().allMatch(n -> n.startsWith("denoiser.")));
            t.run(new CausalLmTrainingTest.Log(), () -> false, null);
            trained = values(t.parameters().trainable());
        }
        assertFalse(Files.exists(out.resolve(DiffusersWriter.LORA_FILE)));
        Path base = RECIPES.resolve("../../testdata/golden/sd_pipeline").normalize();
        try (NDManager scope = manager.newSubManager();
                Checkpoint written = Checkpoint.open(out.resolve("unet"));
                Checkpoint original = Checkpoint.open(base.resolve("unet"))) {
            var w = written.weights(scope, ai.djl.ndarray.types.DataType.FLOAT32);
            var o = original.weights(scope, ai.djl.ndarray.types.DataType.FLOAT32);
            assertEquals(original.tensors().keySet(), written.tensors().keySet());
            int changed = 0;
            for (String name : original.tensors().keySet()) {
                assertEquals(original.tensors().get(name).shape(), written.tensors().get(name).shape(), name);
                float[] value = w.get(name).toFloatArray();
                float[] expected = trained.containsKey("denoiser." + name) ? trained.get("denoiser." + name)
                        : o.get(name).toFloatArray();
                assertArrayEquals(expected, value, name);
                changed += java.util.Arrays.equals(value, o.get(name).toFloatArray()) ? 0 : 1;
            }
            assertTrue(changed > 0 && changed <= trained.size(), changed + " tensors changed");
        }
        assertArrayEquals(Files.readAllBytes(base.resolve("vae/diffusion_pytorch_model.safetensors")),
                Files.readAllBytes(out.resolve("vae/diffusion_pytorch_model.safetensors")), "the VAE is copied as it was");
    }
}
