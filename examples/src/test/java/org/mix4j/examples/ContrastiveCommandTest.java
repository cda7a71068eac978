package org.mix4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.examples.TrainCommandTest.Result;

/**
 * {@code mix train} with the contrastive objective end to end: the tiny CLIP recipe, then
 * {@code mix eval} on what it wrote (the run's last eval metrics) and {@code mix index} /
 * {@code mix search} on the written pipeline.
 */
class ContrastiveCommandTest {

    static final Path EXAMPLES = TrainCommandTest.EXAMPLES;

    @Test
    void mixEvalOfTheWrittenModelEqualsTheRunsEvalAndItIndexesAndSearches(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("run");
        Result r = TrainCommandTest.mix("train", EXAMPLES.resolve("train/tiny-clip-contrastive.yaml").toString(),
                "--max-steps", "4", "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("images/s"), r.err());
        List<String> metrics = Files.readAllLines(out.resolve("metrics.jsonl"));
        JsonObject last = JsonParser.parseString(metrics.get(metrics.size() - 1)).getAsJsonObject();
        assertEquals(4, last.get("step").getAsInt(), last.toString());
        Result eval = TrainCommandTest.mix("eval", out.resolve("pipeline.yaml").toString(), "--data",
                EXAMPLES.resolve("train/data/sun-pairs/eval.jsonl").toString(), "--json");
        assertEquals(0, eval.code(), eval.err());
        JsonObject measured = JsonParser.parseString(eval.out().strip()).getAsJsonObject();
        assertEquals(12, measured.get("samples").getAsInt());
        for (String name : List.of("loss", "image_to_text_recall@1", "image_to_text_recall@5", "text_to_image_recall@1",
                "text_to_image_recall@5")) {
            assertEquals(last.get("eval_" + name).getAsDouble(), measured.get(name).getAsDouble(), 1e-6, name);
        }
        Path index = dir.resolve("suns.index");
        Result indexed = TrainCommandTest.mix("index", out.resolve("pipeline.yaml").toString(), "--images",
                EXAMPLES.resolve("train/data/sun-pairs").toString(), "--out", index.toString(), "--no-progress");
        assertEquals(0, indexed.code(), indexed.err());
        Result search = TrainCommandTest.mix("search", out.resolve("pipeline.yaml").toString(), "--index", index.toString(),
                "--text", "a big blue sun on a black background", "-k", "3");
        assertEquals(0, search.code(), search.err());
        assertTrue(search.out().contains("sun-pairs/sun-"), search.out());
    }

    @Test
    void aTrainedClipModelFolderEvaluatesWithModelAsWithItsYaml(@TempDir Path dir) throws Exception {
        // clip_full (transformers' CLIPModel layout) with captions short enough for its 16 text positions
        StringBuilder pairs = new StringBuilder();
        for (String[] p : new String[][] {{"sun-red-big-on-white.png", "red sun"}, {"sun-blue-big-on-white.png", "blue sun"},
            {"sun-red-small-on-black.png", "red dot"}, {"sun-blue-small-on-black.png", "blue dot"}}) {
            pairs.append("{\"image\": \"").append(EXAMPLES.resolve("train/data").resolve(p[0])).append("\", \"caption\": \"")
                    .append(p[1]).append("\"}\n");
        }
        Files.writeString(dir.resolve("pairs.jsonl"), pairs);
        Path recipe = dir.resolve("clip-full.yaml");
        Files.writeString(recipe, String.join("\n", "task: retrieval",
                "checkpoint: " + EXAMPLES.getParent().resolve("testdata/golden/clip_full"),
                "image_processor: { type: hf_image_processor, size: { shortest_edge: 32 }, crop_size: 32 }",
                "encoder: { type: clip_vision }", "text_encoder: { type: clip_text }",
                "tokenizer: { type: clip_bpe, path: " + EXAMPLES.resolve("generation/tiny-clip-tokenizer") + " }",
                "training: { objective: contrastive, data: pairs.jsonl, eval_data: pairs.jsonl, "
                        + "trainable: [encoder, text_encoder, logit_scale], lr: 0.01, max_steps: 3, micro_batch_size: 4 }", ""));
        Path out = dir.resolve("run");
        Result r = TrainCommandTest.mix("train", recipe.toString(), "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        List<String> metrics = Files.readAllLines(out.resolve("metrics.jsonl"));
        JsonObject last = JsonParser.parseString(metrics.get(metrics.size() - 1)).getAsJsonObject();
        for (String[] target : List.of(new String[] {"--model", out.toString()}, new String[] {out.resolve("pipeline.yaml").toString()})) {
            List<String> args = new java.util.ArrayList<>(List.of("eval"));
            args.addAll(List.of(target));
            args.addAll(List.of("--data", dir.resolve("pairs.jsonl").toString(), "--json"));
            Result eval = TrainCommandTest.mix(args.toArray(String[]::new));
            assertEquals(0, eval.code(), eval.err());
            JsonObject measured = JsonParser.parseString(eval.out().strip()).getAsJsonObject();
            assertEquals(last.get("eval_loss").getAsDouble(), measured.get("loss").getAsDouble(), 1e-6, String.join(" ", target));
            assertEquals(last.get("eval_image_to_text_recall@1").getAsDouble(),
                    measured.get("image_to_text_recall@1").getAsDouble(), 1e-9);
        }
    }
}
