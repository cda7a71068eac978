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
}
