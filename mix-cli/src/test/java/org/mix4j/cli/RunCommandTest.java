package org.mix4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.llm.TestData;
import org.mix4j.llm.TinyCheckpoint;

/** {@code mix run}'s batch, JSON and sampling flags on the bundled tiny pipelines. */
class RunCommandTest {

    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final String LLAVA = REPO.resolve("examples/understanding/tiny-llava.yaml").toString();
    private static final String FIELD = REPO.resolve("examples/images/field.png").toString();

    @TempDir
    Path dir;

    record Result(int code, String out, String err) {}

    private Result mix(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Mix.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    private String answer(String prompt) {
        Result r = mix("run", LLAVA, "--image", FIELD, "--prompt", prompt, "--max-new-tokens", "4");
        assertEquals(0, r.code(), r.err());
        return r.out().strip();
    }

    @Test
    void twoPromptsGiveTheAnswersOfTwoSingleRunsInOrder() {
        String a = answer("What is in the picture?");
        String b = answer("Describe it");
        Result r = mix("run", LLAVA, "--image", FIELD, "--prompt", "What is in the picture?", "--prompt", "Describe it",
                "--max-new-tokens", "4");
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of(a, b), r.out().strip().lines().map(String::strip).toList(), r.out());
    }

    @Test
    void jsonPrintsOneObjectPerAnswer() {
        Result r = mix("run", LLAVA, "--image", FIELD, "--prompt", "What is in the picture?", "--prompt", "Describe it",
                "--max-new-tokens", "3", "--json");
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().strip().lines().toList();
        assertEquals(2, lines.size(), r.out());
        for (int i = 0; i < 2; i++) {
            JsonObject o = JsonParser.parseString(lines.get(i)).getAsJsonObject();
            assertEquals(i, o.get("prompt").getAsInt());
            assertTrue(o.has("answer") && o.has("finish_reason"), lines.get(i));
            assertTrue(o.get("tokens").getAsInt() <= 3, lines.get(i));
        }
    }

    @Test
    void jsonlInputAnswersEachLineAndReportsABadLineByNumber() throws Exception {
        String image = FIELD.replace("\\", "\\\\");
        Path requests = dir.resolve("requests.jsonl");
        Files.writeString(requests, String.join("\n",
                "{\"prompt\": \"What is in the picture?\", \"images\": [\"" + image + "\"], \"max_new_tokens\": 4}",
                "{\"prompt\": \"broken\", ",
                "",
                "{\"prompt\": \"Describe it\", \"images\": [\"" + image + "\"], \"max_new_tokens\": 2, \"seed\": 3}",
                "{\"images\": []}") + "\n");
        Result r = mix("run", LLAVA, "--input", requests.toString());
        assertEquals(1, r.code(), "a bad line makes the exit code 1, after all lines: " + r.err());
        List<JsonObject> lines = r.out().strip().lines().map(l -> JsonParser.parseString(l).getAsJsonObject()).toList();
        assertEquals(List.of(1, 2, 4, 5), lines.stream().map(o -> o.get("line").getAsInt()).toList(), r.out());
        assertTrue(lines.get(0).has("answer"), r.out());
        assertEquals(answer("What is in the picture?"), lines.get(0).get("answer").getAsString().strip());
        assertTrue(lines.get(1).get("error").getAsString().contains(":2:"), r.out());
        assertTrue(lines.get(2).get("tokens").getAsInt() <= 2, r.out());
        assertTrue(lines.get(3).get("error").getAsString().contains("prompt"), r.out());
    }

    @Test
    void samplingFlagsReachThePresetYaml() throws Exception {
        Path model = textCheckpoint();
        Result r = mix("run", "--model", model.toString(), "--print-config", "--top-p", "0.5", "--top-k", "7",
                "--system", "Be brief.", "--dtype", "float16", "--temperature", "0.7");
        assertEquals(0, r.code(), r.err());
        for (String s : List.of("top_p: 0.5", "top_k: 7", "Be brief.", "dtype: float16", "temperature: 0.7")) {
            assertTrue(r.out().contains(s), s + " missing from:\n" + r.out());
        }
    }

    @Test
    void printPromptShowsTheSystemFlagInTheRenderedPrompt() throws Exception {
        Result r = mix("run", "--model", textCheckpoint().toString(), "--prompt", "Hi there", "--system", "Be brief.",
                "--print-prompt");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Be brief.") && r.out().contains("Hi there"), r.out());
        assertTrue(r.out().indexOf("Be brief.") < r.out().indexOf("Hi there"), r.out());
    }

    @Test
    void printPromptShowsTheImagePlaceholder() {
        Result r = mix("run", LLAVA, "--image", FIELD, "--prompt", "What is in the picture?", "--print-prompt");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("<image>") && r.out().contains("What is in the picture?"), r.out());
    }

    @Test
    void twoTextPromptsGiveTheAnswersOfTwoSingleRuns() throws Exception {
        String model = textCheckpoint().toString();
        Result a = mix("run", "--model", model, "--prompt", "Hi", "--max-new-tokens", "3");
        Result b = mix("run", "--model", model, "--prompt", "Hello there", "--max-new-tokens", "3");
        Result both = mix("run", "--model", model, "--prompt", "Hi", "--prompt", "Hello there", "--max-new-tokens", "3");
        assertEquals(0, both.code(), both.err());
        assertEquals(List.of(a.out().strip(), b.out().strip()), both.out().strip().lines().map(String::strip).toList());
    }

    @Test
    void samplingFlagIsRefusedForGeneration() {
        Result r = mix("run", REPO.resolve("examples/generation/tiny-sd.yaml").toString(), "--prompt", "x", "--top-k", "3");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("--top-k"), r.err());
    }

    @Test
    void smallContextModelPresetCapsMaxNewTokens() throws Exception {
        // the golden tiny LLaVA has 256 positions; the preset asks for 256 new tokens after the prompt
        Path model = dir.resolve("tiny-llava");
        Files.createDirectories(model);
        for (String f : List.of("config.json", "model.safetensors")) {
            Files.copy(REPO.resolve("testdata/golden/llava").resolve(f), model.resolve(f));
        }
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
            Files.copy(REPO.resolve("examples/understanding/tiny-tokenizer").resolve(f), model.resolve(f));
        }
        Files.writeString(model.resolve("preprocessor_config.json"), "{\"size\": {\"shortest_edge\": 32}, "
                + "\"crop_size\": {\"height\": 32, \"width\": 32}, \"do_center_crop\": true}");
        Result r = mix("run", "--model", model.toString(), "--image", FIELD, "--prompt", "What is in the picture?",
                "--json");
        assertEquals(0, r.code(), r.err());
        JsonObject o = JsonParser.parseString(r.out().strip()).getAsJsonObject();
        assertTrue(o.get("tokens").getAsInt() > 0, r.out());
    }

    @Test
    void searchJsonGivesPathAndScorePerHit() throws Exception {
        Path images = dir.resolve("images");
        Files.createDirectories(images);
        Files.copy(Path.of(FIELD), images.resolve("a.png"));
        Files.copy(Path.of(FIELD), images.resolve("b.png"));
        String yaml = REPO.resolve("examples/retrieval/tiny.yaml").toString();
        String index = dir.resolve("tiny.index").toString();
        Result made = mix("index", yaml, "--images", images.toString(), "--out", index);
        assertEquals(0, made.code(), made.err());
        Result r = mix("search", yaml, "--index", index, "--image", FIELD, "--json");
        assertEquals(0, r.code(), r.err());
        List<JsonObject> hits = r.out().strip().lines().map(l -> JsonParser.parseString(l).getAsJsonObject()).toList();
        assertEquals(2, hits.size(), r.out());
        assertTrue(hits.get(0).get("path").getAsString().endsWith(".png"), r.out());
        assertTrue(hits.get(0).get("score").getAsDouble() > 0.99, r.out());
    }

    @Test
    void generateJsonGivesPathAndSeedPerImage() {
        Path out = dir.resolve("imgs");
        Result r = mix("generate", REPO.resolve("examples/generation/tiny-sd.yaml").toString(), "--prompt", "a cat",
                "--steps", "2", "--seed", "5", "--num-images", "2", "-o", out.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        List<JsonObject> files = r.out().strip().lines().map(l -> JsonParser.parseString(l).getAsJsonObject()).toList();
        assertEquals(List.of(5L, 6L), files.stream().map(o -> o.get("seed").getAsLong()).toList(), r.out());
        files.forEach(o -> assertTrue(Files.exists(Path.of(o.get("path").getAsString())), r.out()));
    }

    @Test
    void strengthWithoutAnInitImageIsRefusedInOneLine() {
        // it was ignored: the run made a text-to-image picture as if the flag were not there
        Result r = mix("generate", REPO.resolve("examples/generation/tiny-sd.yaml").toString(), "--prompt", "a cat",
                "--steps", "2", "--strength", "0.5", "-o", dir.resolve("x.png").toString());
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("--strength is how much of an --init-image is redrawn"), r.err());
        assertTrue(Files.notExists(dir.resolve("x.png")));
    }

    @Test
    void nanAndInfinitySettingsAreRefusedInOneLineNamingTheFlag() {
        Result guidance = mix("generate", REPO.resolve("examples/generation/tiny-sd.yaml").toString(), "--prompt",
                "a cat", "--steps", "2", "--guidance", "NaN", "-o", dir.resolve("x.png").toString());
        assertEquals(1, guidance.code(), guidance.err());
        assertEquals(1, guidance.err().strip().lines().count(), guidance.err());
        assertTrue(guidance.err().contains("--guidance") && guidance.err().contains("guidance_scale must be a finite "
                + "number, got NaN"), guidance.err());
        Result temperature = mix("run", LLAVA, "--image", FIELD, "--prompt", "hi", "--temperature", "Infinity");
        assertEquals(1, temperature.code(), temperature.err());
        assertEquals(1, temperature.err().strip().lines().count(), temperature.err());
        assertTrue(temperature.err().contains("temperature must be a finite number, got Infinity"), temperature.err());
    }

    private Path textCheckpoint() throws Exception {
        Path model = dir.resolve("tiny-chat");
        Files.createDirectories(model);
        Path resources = TestData.resource("tiny-chat");
        for (String f : List.of("tokenizer.json", "tokenizer_config.json", "generation_config.json")) {
            Files.copy(resources.resolve(f), model.resolve(f));
        }
        TinyCheckpoint.write(model, Files.readString(resources.resolve("config.json")), 21);
        return model;
    }
}
