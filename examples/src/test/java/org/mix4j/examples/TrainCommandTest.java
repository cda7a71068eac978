package org.mix4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.cli.Mix;
import org.mix4j.weights.Checkpoint;

/** {@code mix train} end to end: a recipe from examples/train, then {@code mix run} on what it wrote. */
class TrainCommandTest {

    static final Path EXAMPLES = UnderstandingPipelineTest.EXAMPLES;

    record Result(int code, String out, String err) {}

    static Result mix(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Mix.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    /**
     * SIGTERM (the JVM treats Ctrl-C's SIGINT the same way) in the middle of a run, in a process of
     * its own: the step finishes, the state is saved at that step, the process says how to resume
     * and exits without a native crash. Before, the shutdown hook only raised the stop flag and the
     * JVM exited under a running backward pass (SIGSEGV in libtorch, the state of the last periodic
     * save only).
     */
    @Test
    void aTerminatedRunSavesItsStateAndExitsCleanly(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("run");
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:ErrorFile=" + dir.resolve("hs_err_%p.log"), "-cp", System.getProperty("java.class.path"),
                Mix.class.getName(), "train", EXAMPLES.resolve("train/tiny-llava-stage1.yaml").toString(), "--output",
                out.toString());
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        StringBuilder log = new StringBuilder();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            boolean sent = false;
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                log.append(line).append('\n');
                if (!sent && line.startsWith("step 3/")) {
                    p.toHandle().destroy(); // SIGTERM; Process.destroy() would also close the output we read
                    sent = true;
                }
            }
        } finally {
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        assertEquals(143, p.exitValue(), "128 + SIGTERM, after the hook:\n" + log);
        Matcher stopped = Pattern.compile("stopped after step (\\d+); continue with: mix train .* --resume (\\S+)")
                .matcher(log);
        assertTrue(stopped.find(), log.toString());
        int step = Integer.parseInt(stopped.group(1));
        assertTrue(step >= 3, log.toString());
        assertEquals(out.resolve("state").toString(), stopped.group(2));
        JsonObject state = JsonParser.parseString(Files.readString(out.resolve("state/state.json"))).getAsJsonObject();
        assertEquals(step, state.get("step").getAsInt(), "the state is the stopped step's");
        try (var files = Files.list(dir)) {
            assertEquals(List.of(), files.filter(f -> f.getFileName().toString().startsWith("hs_err")).toList(),
                    "no native crash:\n" + log);
        }
        assertFalse(log.toString().contains("SIGSEGV"), log.toString());
    }

    @Test
    void trainsWritesMetricsAndTheModelMixRunLoads(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("run");
        Result r = mix("train", EXAMPLES.resolve("train/tiny-llava-stage1.yaml").toString(), "--max-steps", "3",
                "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("step 3/3"), r.err());
        List<String> metrics = Files.readAllLines(out.resolve("metrics.jsonl"));
        assertEquals(3, metrics.stream().filter(l -> l.contains("\"grad_norm\"")).count(), metrics.toString());
        assertTrue(metrics.stream().anyMatch(l -> l.contains("\"eval_loss\"")), metrics.toString());
        Result run = mix("run", out.resolve("pipeline.yaml").toString(), "--image",
                EXAMPLES.resolve("train/data/sun-red-big-on-white.png").toString(), "--prompt", "describe the picture .");
        assertEquals(0, run.code(), run.err());
        assertFalse(run.out().isBlank());
        // mix eval on the written checkpoint gives the run's last eval loss, through the YAML and --model alike
        String last = metrics.get(metrics.size() - 1);
        double evalLoss = com.google.gson.JsonParser.parseString(last).getAsJsonObject().get("eval_loss").getAsDouble();
        for (String[] target : List.of(new String[] {out.resolve("pipeline.yaml").toString()},
                new String[] {"--model", out.toString()})) {
            String[] args = new String[target.length + 4];
            args[0] = "eval";
            System.arraycopy(target, 0, args, 1, target.length);
            args[target.length + 1] = "--data";
            args[target.length + 2] = EXAMPLES.resolve("train/data/suns-eval.jsonl").toString();
            args[target.length + 3] = "--json";
            Result eval = mix(args);
            assertEquals(0, eval.code(), eval.err());
            double loss = com.google.gson.JsonParser.parseString(eval.out().strip()).getAsJsonObject().get("loss")
                    .getAsDouble();
            assertEquals(evalLoss, loss, 1e-5, String.join(" ", args));
        }
    }

    /** A new composition (SigLIP + untrained resampler + LLaMA): stage 1 trains the resampler; mix run loads it. */
    @Test
    void composedPipelineTrainsItsRandomConnector(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("composed");
        Result r = mix("train", EXAMPLES.resolve("train/tiny-siglip-resampler-llama.yaml").toString(), "--output",
                out.toString());
        assertEquals(0, r.code(), r.err());
        List<Double> evals = Files.readAllLines(out.resolve("metrics.jsonl")).stream()
                .map(l -> com.google.gson.JsonParser.parseString(l).getAsJsonObject())
                .filter(o -> o.has("eval_loss")).map(o -> o.get("eval_loss").getAsDouble()).toList();
        // measured: 5.91 before training, 3.29 after 36 steps
        assertTrue(evals.get(evals.size() - 1) < evals.get(0) - 1.5, evals.toString());
        assertTrue(Files.isRegularFile(out.resolve("connector.safetensors")), "the trained resampler, saved whole");
        assertFalse(Files.readString(out.resolve("pipeline.yaml")).contains("init:"), "the written pipeline loads weights");
        Result run = mix("run", out.resolve("pipeline.yaml").toString(), "--image",
                EXAMPLES.resolve("train/data/sun-red-big-on-white.png").toString(), "--prompt", "describe the picture .");
        assertEquals(0, run.code(), run.err());
        assertFalse(run.out().isBlank());
    }

    /** task: text: LoRA on the tiny LLaMA learns the colour questions; mix run and mix eval read what it wrote. */
    @Test
    void textRecipeLearnsItsQuestionsAndTheResultAnswers(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("text");
        Result r = mix("train", EXAMPLES.resolve("train/tiny-text-lora.yaml").toString(), "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        List<Double> evals = Files.readAllLines(out.resolve("metrics.jsonl")).stream()
                .map(l -> com.google.gson.JsonParser.parseString(l).getAsJsonObject())
                .filter(o -> o.has("eval_loss")).map(o -> o.get("eval_loss").getAsDouble()).toList();
        // measured: 5.44 before training, 1.58 after 36 steps
        assertTrue(evals.get(evals.size() - 1) < 0.5 * evals.get(0), evals.toString());
        assertTrue(Files.isRegularFile(out.resolve("adapter/adapter_model.safetensors")), "the peft adapter");
        Result run = mix("run", out.resolve("pipeline.yaml").toString(), "--prompt", "what color is the red car ?");
        assertEquals(0, run.code(), run.err());
        assertEquals("the car is red .", run.out().strip()); // a training question, answered as taught
        Result eval = mix("eval", "--model", out.toString(), "--data",
                EXAMPLES.resolve("train/data/colors-eval.jsonl").toString(), "--json");
        assertEquals(0, eval.code(), eval.err());
        assertEquals(evals.get(evals.size() - 1), com.google.gson.JsonParser.parseString(eval.out().strip())
                .getAsJsonObject().get("loss").getAsDouble(), 1e-5);
    }

    @Test
    void theDiffusionRecipeTrainsAndMixGenerateLoadsTheFolderAndTheLora(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("sd");
        Result r = mix("train", EXAMPLES.resolve("train/tiny-sd-lora.yaml").toString(), "--max-steps", "2",
                "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("step 2/2") && r.err().contains("images/s"), r.err());
        List<String> metrics = Files.readAllLines(out.resolve("metrics.jsonl"));
        assertTrue(metrics.stream().anyMatch(l -> l.contains("\"eval_loss\"")), metrics.toString());
        for (String[] target : List.of(new String[] {"--model", out.toString()},
                new String[] {out.resolve("lora.yaml").toString()})) {
            Path png = dir.resolve(target.length + ".png");
            String[] args = new String[target.length + 7];
            args[0] = "generate";
            System.arraycopy(target, 0, args, 1, target.length);
            System.arraycopy(new String[] {"--prompt", "a big red sun", "--steps", "2", "-o", png.toString()}, 0, args,
                    target.length + 1, 6);
            Result g = mix(args);
            assertEquals(0, g.code(), g.err());
            assertTrue(Files.size(png) > 0, png.toString());
        }
    }

    /** The whole-UNet recipe writes every UNet tensor under its diffusers name and shape, and mix generate loads it. */
    @Test
    void theWholeUnetRecipeWritesTheUnetInItsOwnLayout(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("sd-full");
        Result r = mix("train", EXAMPLES.resolve("train/tiny-sd-full.yaml").toString(), "--max-steps", "2",
                "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        try (Checkpoint written = Checkpoint.open(out.resolve("unet"));
                Checkpoint original = Checkpoint.open(EXAMPLES.resolve("../testdata/golden/sd_pipeline/unet").normalize())) {
            assertEquals(original.tensors().keySet(), written.tensors().keySet());
            original.tensors().forEach((name, info) -> assertEquals(info.shape(), written.tensors().get(name).shape(), name));
        }
        assertFalse(Files.exists(out.resolve("adapter")), "no LoRA, no adapter");
        Path png = dir.resolve("full.png");
        Result g = mix("generate", "--model", out.toString(), "--prompt", "a big red sun", "--steps", "2", "-o",
                png.toString());
        assertEquals(0, g.code(), g.err());
        assertTrue(Files.size(png) > 0, png.toString());
    }

    @Test
    void aRecipeWithoutTrainingAndABadKeyAreOneLineErrors(@TempDir Path dir) throws Exception {
        Result none = mix("train", EXAMPLES.resolve("understanding/tiny-llava.yaml").toString());
        assertEquals(1, none.code());
        assertTrue(none.err().contains("needs a 'training:' section"), none.err());
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, Files.readString(EXAMPLES.resolve("train/tiny-llava-stage1.yaml"))
                .replace("checkpoint: ../../testdata", "checkpoint: " + EXAMPLES.getParent() + "/testdata")
                .replace("path: ../../../examples", "path: " + EXAMPLES.getParent() + "/examples")
                .replace("  epochs: 8", "  epocs: 8"));
        Result typo = mix("train", bad.toString());
        assertEquals(1, typo.code());
        assertTrue(typo.err().contains(bad + ":") && typo.err().contains("training.epocs"), typo.err());
        assertEquals(1, typo.err().strip().lines().count(), typo.err());
    }
}
