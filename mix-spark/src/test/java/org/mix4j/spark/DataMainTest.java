package org.mix4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.data.records.Format;
import org.mix4j.spark.data.DataJob;

/** DataMain's arguments: each step's options, and errors that name what was wrong. */
class DataMainTest {

    @TempDir
    Path dir;

    private String error(String... args) {
        return assertThrows(IllegalArgumentException.class, () -> DataMain.parse(2, args)).getMessage();
    }

    @Test
    void chainTakesTheStepsWhoseOptionsAreGiven() throws Exception {
        Path rules = Files.writeString(dir.resolve("rules.yaml"), "min_chars: 3\ndedup: true\n");
        DataJob job = DataMain.parse(4, "chain", "--input", "in.jsonl", "--output", "out", "--to", "openai",
                "--rules", rules.toString(), "--fraction", "0.25", "--seed", "9", "--names", "a,b", "--ratios", "1,3");
        assertEquals(Format.OPENAI, job.to());
        assertEquals(3, job.filter().minChars());
        assertEquals(0.25, job.fraction());
        assertNull(job.count());
        assertEquals(9, job.seed());
        assertEquals(4, job.partitions());
        assertEquals(new DataJob.Split(List.of("a", "b"), List.of(1.0, 3.0)), job.split());
        assertNull(DataMain.parse(2, "sample", "--input", "in.jsonl", "--output", "o", "--count", "5").split());
    }

    @Test
    void rejectsWhatAStepDoesNotTake() {
        assertTrue(error("filter", "--input", "a", "--output", "b").contains("filter needs --rules"));
        assertTrue(error("sample", "--input", "a", "--output", "b", "--count", "3", "--to", "llava")
                .contains("sample takes --count or --fraction"));
        assertTrue(error("chain", "--input", "a", "--output", "b").contains("chain needs at least one of"));
        assertTrue(error("chain", "--input", "a", "--output", "b", "--min-side", "3").contains("unknown option '--min-side'"));
        assertTrue(error("sample", "--input", "a", "--output", "b", "--count", "x").contains("--count x: not a whole number"));
        assertTrue(error("sample", "--input", "a", "--output", "a", "--count", "3").contains("is the input of this run"));
        assertTrue(error("split", "--input", "a", "--output", "b", "--ratios", "1,1").contains("--ratios has 2 values but --names 3"));
        assertTrue(error("dedupe", "--input", "a").contains("the first argument is the command"));
    }

    @Test
    void namesTheRulesFileLineOfAnUnknownKey() throws Exception {
        Path rules = Files.writeString(dir.resolve("rules.yaml"), "dedup: true\nmin_sidee: 3\n");
        String message = assertThrows(RuntimeException.class,
                () -> DataMain.parse(2, "filter", "--input", "a", "--output", "b", "--rules", rules.toString())).getMessage();
        assertTrue(message.contains("rules.yaml") && message.contains("min_sidee"), message);
    }
}
