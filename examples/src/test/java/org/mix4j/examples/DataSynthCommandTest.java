package org.mix4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.examples.TrainCommandTest.Result;
import org.mix4j.training.CaptionData;
import org.mix4j.training.ConversationData;

/** {@code mix data synth} writes what the training objectives read, deterministically. */
class DataSynthCommandTest {

    @Test
    void synthWritesDataTheTrainingReadersAccept(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("shapes");
        Result r = TrainCommandTest.mix("data", "synth", "--out", out.toString(), "--count", "12", "--seed", "5",
                "--max-size", "128");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("wrote 12 scenes"), r.out());
        List<CaptionData.Pair> pairs = CaptionData.read(out.resolve("captions-zh.jsonl"));
        assertEquals(12, pairs.size());
        assertTrue(pairs.stream().allMatch(p -> Files.isRegularFile(p.image()) && p.caption().contains("背景上有")));
        var stage1 = ConversationData.read(out.resolve("llava-captions.jsonl"));
        assertEquals(12, stage1.size());
        var vqa = ConversationData.read(out.resolve("llava-vqa.jsonl"));
        assertTrue(vqa.size() >= 12 * 5, "at least five questions a scene: " + vqa.size());
        assertEquals(vqa.get(0).images().get(0), pairs.get(0).image());

        Path again = dir.resolve("again");
        assertEquals(0, TrainCommandTest.mix("data", "synth", "--out", again.toString(), "--count", "12", "--seed", "5",
                "--max-size", "128", "--threads", "1").code()); // the same files on one thread as on all
        for (String file : List.of("scenes.jsonl", "captions.jsonl", "llava-vqa-zh.jsonl")) {
            assertEquals(Files.readString(out.resolve(file)), Files.readString(again.resolve(file)), file);
        }
        Result refused = TrainCommandTest.mix("data", "synth", "--out", out.toString(), "--count", "3");
        assertEquals(1, refused.code());
        assertTrue(refused.err().contains("is not empty"), refused.err());
        Result bad = TrainCommandTest.mix("data", "synth", "--out", dir.resolve("x").toString(), "--languages", "fr");
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("languages"), bad.err());
        Result noThreads = TrainCommandTest.mix("data", "synth", "--out", dir.resolve("y").toString(), "--threads", "0");
        assertEquals(1, noThreads.code());
        assertTrue(noThreads.err().contains("threads must be at least 1, got 0"), noThreads.err());
        assertTrue(Files.notExists(dir.resolve("y")), "nothing written");
        Result tilted = TrainCommandTest.mix("data", "synth", "--out", dir.resolve("z").toString(), "--tilt", "200");
        assertEquals(1, tilted.code());
        assertTrue(tilted.err().contains("tilt must be in [0, 180] degrees, got 200"), tilted.err());
        assertTrue(Files.notExists(dir.resolve("z")), "nothing written");
        Path upright = dir.resolve("upright");
        assertEquals(0, TrainCommandTest.mix("data", "synth", "--out", upright.toString(), "--count", "2", "--tilt", "0")
                .code());
        assertTrue(Files.readString(upright.resolve("synth.json")).contains("\"tilt\": 0.0"),
                Files.readString(upright.resolve("synth.json")));
    }
}
