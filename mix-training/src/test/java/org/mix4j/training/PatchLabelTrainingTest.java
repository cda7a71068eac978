package org.mix4j.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.api.EncoderOutput;
import org.mix4j.config.ConfigException;
import org.mix4j.config.ConfigOverrides;
import org.mix4j.pipelines.retrieval.RetrievalPipeline;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.weights.Checkpoint;

/**
 * mix train's {@code patch_labels} objective on a random tiny CLIP (32 px pictures, 8 px patches, a
 * 4x4 grid): pictures with a red and a blue block on white, each patch labelled background, red or
 * blue, row by row.
 */
class PatchLabelTrainingTest extends WithRuntime {

    static final Path RECIPES = Path.of("../examples/train").toAbsolutePath().normalize();
    private static final int GRID = 4;
    private static final int PATCH = 8;

    @TempDir
    Path dir;

    /** {@code count} pictures with their labels as JSONL in {@code folder}; the blocks' cells differ, so the order matters. */
    private static Path data(Path folder, String name, int count, long seed) throws Exception {
        Files.createDirectories(folder.resolve("images"));
        Random random = new Random(seed);
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < count; i++) {
            int[] labels = new int[GRID * GRID];
            BufferedImage image = new BufferedImage(GRID * PATCH, GRID * PATCH, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = image.createGraphics();
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, image.getWidth(), image.getHeight());
            int red = random.nextInt(GRID * GRID);
            int blue;
            do {
                blue = random.nextInt(GRID * GRID);
            } while (blue == red);
            labels[red] = 1;
            labels[blue] = 2;
            g.setColor(Color.RED);
            g.fillRect(red % GRID * PATCH, red / GRID * PATCH, PATCH, PATCH);
            g.setColor(Color.BLUE);
            g.fillRect(blue % GRID * PATCH, blue / GRID * PATCH, PATCH, PATCH);
            g.dispose();
            String file = "images/" + name + "-" + i + ".png";
            ImageIO.write(image, "png", folder.resolve(file).toFile());
            StringBuilder l = new StringBuilder();
            for (int label : labels) {
                l.append(l.length() == 0 ? "" : ",").append(label);
            }
            jsonl.append("{\"image\":\"").append(file).append("\",\"labels\":[").append(l).append("]}\n");
        }
        Path out = folder.resolve(name + ".jsonl");
        Files.writeString(out, jsonl);
        return out;
    }

    /** The tiny random CLIP of tiny-clip-contrastive.yaml with a patch_labels training section. */
    private Path recipe(String training) throws Exception {
        String yaml = "task: retrieval\n"
                + "checkpoint: " + RECIPES.getParent().resolve("generation/tiny-clip-tokenizer") + "\n"
                + "image_processor: { type: hf_image_processor, size: { shortest_edge: 32 }, crop_size: 32 }\n"
                + "encoder: { type: clip_vision, init: random, seed: 1, hidden_size: 32, intermediate_size: 64,\n"
                + "  num_hidden_layers: 2, num_attention_heads: 4, image_size: 32, patch_size: 8, projection_dim: 16,\n"
                + "  feature_layer: -2 }\n"
                + "text_encoder: { type: clip_text, init: random, seed: 2, vocab_size: 100, eos_token_id: 99,\n"
                + "  max_position_embeddings: 40, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2,\n"
                + "  num_attention_heads: 4, projection_dim: 16 }\n"
                + "tokenizer: { type: clip_bpe }\n"
                + "training:\n"
                + "  objective: patch_labels\n"
                + "  classes: [background, red, blue]\n"
                + "  trainable: [encoder]\n"
                + "  lr: 0.003\n"
                + "  micro_batch_size: 8\n"
                + training;
        Path file = dir.resolve("recipe.yaml");
        Files.writeString(file, yaml);
        return file;
    }

    private Trainer trainer(Path recipe, Path out) {
        PipelineConfig config = PipelineConfig.load(recipe, new ConfigOverrides());
        return new Trainer(config, Trainer.settings(config), dir, out, runtime.loader(), manager);
    }

    @Test
    void trainingTeachesTheTowerWhichPatchIsWhichAndWritesTowerAndHead() throws Exception {
        Path train = data(dir, "train", 64, 1);
        Path eval = data(dir, "eval", 16, 2);
        Path recipe = recipe("  data: " + train + "\n  eval_data: " + eval + "\n  epochs: 6\n  eval_every: 0\n");
        ContrastiveTrainingTest.Log log = new ContrastiveTrainingTest.Log();
        Path out = dir.resolve("out");
        try (Trainer t = trainer(recipe, out)) {
            t.run(log, () -> false, null);
        }
        Map<String, Double> before = log.evals.get(0);
        Map<String, Double> after = log.evals.get(48);
        System.out.println("patch_labels blocks: " + before + " -> " + after);
        assertTrue(before.get("mean_class_accuracy") < 0.7, before.toString());
        assertTrue(after.get("accuracy_red") >= 0.9 && after.get("accuracy_blue") >= 0.9
                && after.get("accuracy_background") >= 0.9, after.toString());
        assertTrue(after.get("loss") < before.get("loss") / 3, before + " -> " + after);

        // the random tower written whole (encoder.safetensors), the head beside it, a pipeline that loads them
        assertTrue(Files.isRegularFile(out.resolve("encoder.safetensors")));
        try (Checkpoint head = Checkpoint.open(out.resolve("patch_head.safetensors"));
                NDManager scope = manager.newSubManager()) {
            var tensors = head.weights(scope, ai.djl.ndarray.types.DataType.FLOAT32);
            assertArrayEquals(new long[] {3, 32}, tensors.get("patch_head.weight").getShape().getShape());
            assertEquals(3, tensors.get("patch_head.bias").size());
        }
        PipelineConfig written = PipelineConfig.load(out.resolve("pipeline.yaml"));
        assertFalse(Files.readString(out.resolve("pipeline.yaml")).contains("training:"));
        try (RetrievalPipeline p = RetrievalPipeline.load(written, runtime.loader(), manager)) {
            assertEquals(16, p.embedText("red").length);
        }
    }

    @Test
    void theLossIsTheMeanCrossEntropyOfTheLabelledTokens() throws Exception {
        Path train = data(dir, "train", 4, 3);
        // token 0 of the first picture does not count (-1)
        String text = Files.readString(train);
        Files.writeString(train, text.replaceFirst("\"labels\":\\[\\d", "\"labels\":[-1"));
        Path recipe = recipe("  data: " + train + "\n  max_steps: 1\n");
        PipelineConfig config = PipelineConfig.load(recipe, new ConfigOverrides());
        TrainingSettings settings = Trainer.settings(config);
        try (PatchLabelObjective objective = new PatchLabelObjective(config, settings, dir, runtime.loader(), manager);
                NDManager scope = manager.newSubManager()) {
            List<PatchLabelObjective.Sample> micro = new ArrayList<>();
            long units = 0;
            for (int i = 0; i < 4; i++) {
                micro.add(objective.prepare(i));
                units += objective.units(micro.get(i));
            }
            assertEquals(4 * GRID * GRID - 1, units);
            float loss = objective.lossSum(micro, 0, scope).getFloat();

            // the same by hand: features of the tower's configured layer, then head, log-softmax, pick
            float[] w = objective.parameters().all().get("patch_head.weight").toFloatArray();
            float[] b = objective.parameters().all().get("patch_head.bias").toFloatArray();
            RetrievalPipeline pipeline = RetrievalPipeline.load(config, runtime.loader(), scope);
            NDArray pixels = pipeline.imageProcessor().preprocess(micro.stream().map(PatchLabelObjective.Sample::image).toList(), scope);
            EncoderOutput encoded = pipeline.encoder().encode(pixels);
            float[] features = encoded.features().toFloatArray();
            assertArrayEquals(new long[] {4, GRID * GRID, 32}, encoded.features().getShape().getShape());
            double expected = 0;
            for (int s = 0; s < 4; s++) {
                for (int t = 0; t < GRID * GRID; t++) {
                    int label = micro.get(s).labels()[t];
                    if (label < 0) {
                        continue;
                    }
                    double[] logits = new double[3];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int c = 0; c < 3; c++) {
                        double z = b[c];
                        for (int d = 0; d < 32; d++) {
                            z += (double) w[c * 32 + d] * features[(s * GRID * GRID + t) * 32 + d];
                        }
                        logits[c] = z;
                        max = Math.max(max, z);
                    }
                    double sum = 0;
                    for (double z : logits) {
                        sum += Math.exp(z - max);
                    }
                    expected += max + Math.log(sum) - logits[label];
                }
            }
            assertEquals(expected, loss, 1e-4 * Math.abs(expected));
            pipeline.close();
        }
    }

    @Test
    void badLabelsAreErrorsNamingTheFileLineAndEntry() throws Exception {
        Path train = data(dir, "train", 3, 4);
        List<String> lines = Files.readAllLines(train);
        lines.set(1, lines.get(1).replaceFirst("\"labels\":\\[\\d", "\"labels\":[7"));
        Files.write(train, lines);
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
                () -> PatchLabelObjective.read(train, 3));
        assertTrue(range.getMessage().contains("train.jsonl:2") && range.getMessage().contains("labels[0] is 7")
                && range.getMessage().contains("0..2"), range.getMessage());

        lines = Files.readAllLines(data(dir, "short", 3, 5));
        lines.set(2, lines.get(2).replace("]}", ",0]}"));
        Path longer = dir.resolve("longer.jsonl");
        Files.write(longer, lines);
        IllegalArgumentException count = assertThrows(IllegalArgumentException.class,
                () -> PatchLabelObjective.read(longer, 3));
        assertTrue(count.getMessage().contains("longer.jsonl:3") && count.getMessage().contains("17 labels"),
                count.getMessage());

        // labels for another grid than the tower's: named at the sample, before any step is taken
        Path grid = dir.resolve("grid.jsonl");
        Files.writeString(grid, "{\"image\":\"images/short-0.png\",\"labels\":[0,1,2,0]}\n");
        Path recipe = recipe("  data: " + grid + "\n  max_steps: 1\n");
        IllegalArgumentException tokens = assertThrows(IllegalArgumentException.class, () -> {
            try (Trainer t = trainer(recipe, dir.resolve("grid-out"))) {
                t.run(new ContrastiveTrainingTest.Log(), () -> false, null);
            }
        });
        assertTrue(tokens.getMessage().contains("grid.jsonl:1") && tokens.getMessage().contains("4 labels")
                && tokens.getMessage().contains("16 tokens"), tokens.getMessage());

        Path contrastive = dir.resolve("contrastive.yaml");
        Files.writeString(contrastive, Files.readString(recipe).replace("objective: patch_labels", "objective: contrastive"));
        ConfigException classes = assertThrows(ConfigException.class,
                () -> Trainer.settings(PipelineConfig.load(contrastive, new ConfigOverrides())));
        assertTrue(classes.getMessage().contains("contrastive.yaml:13") && classes.getMessage().contains("training.classes")
                && classes.getMessage().contains("belongs to objective: patch_labels"), classes.getMessage());
        Path noClasses = dir.resolve("no-classes.yaml");
        Files.writeString(noClasses, Files.readString(recipe).replace("  classes: [background, red, blue]\n", ""));
        ConfigException missing = assertThrows(ConfigException.class,
                () -> Trainer.settings(PipelineConfig.load(noClasses, new ConfigOverrides())));
        assertTrue(missing.getMessage().contains("no-classes.yaml:") && missing.getMessage().contains("needs classes"),
                missing.getMessage());
    }
}
