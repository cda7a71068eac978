package org.mix4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.api.ProgressListener;
import org.mix4j.config.ConfigOverrides;
import org.mix4j.pipelines.generation.GenerationTaskRunner;
import org.mix4j.pipelines.task.PipelineConfig;

/** {@code task: generation}: each row's PNG is the bytes {@code mix generate --seed S} writes. */
class GenerationJobTest {

    private static final String PIPELINE = "examples/generation/tiny-sd.yaml";

    @TempDir
    Path tmp;

    @Test
    void pngsAreByteIdenticalToMixGenerateWithTheRowsSeed() throws Exception {
        Path input = tmp.resolve("prompts.jsonl");
        Files.write(input, List.of(
                "{\"id\": \"cat\", \"prompt\": \"a photo of a cat\", \"seed\": 7}",
                "{\"id\": \"sea/1\", \"prompt\": \"the sea\", \"seed\": 123456789}",
                "{\"id\": \"default-seed\", \"prompt\": \"the sea\"}"));
        Path output = tmp.resolve("images.parquet");
        Path pngs = tmp.resolve("pngs");
        BatchInference.Summary summary = BatchInference.run(LocalSpark.session(),
                LocalSpark.job(PIPELINE, input, output).imagesOut(pngs.toString()).build());
        assertEquals(3, summary.rows());
        List<Row> rows = LocalSpark.session().read().parquet(output.toString()).orderBy("id").collectAsList();
        for (Row row : rows) {
            assertNull(row.get(row.fieldIndex("error")));
            long seed = row.getLong(row.fieldIndex("seed"));
            String prompt = row.getString(row.fieldIndex("id")).equals("cat") ? "a photo of a cat" : "the sea";
            Path file = Path.of(row.getString(row.fieldIndex("image")));
            assertArrayEquals(mixGenerate(prompt, seed), Files.readAllBytes(file), row.getString(0));
        }
        assertEquals(42, rows.get(1).getLong(rows.get(1).fieldIndex("seed")), "the YAML's seed without one in the row");
        Path seaFile = Path.of(rows.get(2).getString(rows.get(2).fieldIndex("image")));
        assertEquals(pngs, seaFile.getParent());
        assertTrue(seaFile.getFileName().toString().matches("sea_1-[0-9a-f]{8}\\.png"), seaFile.toString());
    }

    @Test
    void pngBytesGoInTheRowWithoutAnImagesFolder() throws Exception {
        Path input = tmp.resolve("one.jsonl");
        Files.write(input, List.of("{\"id\": \"cat\", \"prompt\": \"a photo of a cat\", \"seed\": 7}"));
        Path output = tmp.resolve("bytes.parquet");
        BatchInference.run(LocalSpark.session(), LocalSpark.job(PIPELINE, input, output).build());
        Row row = LocalSpark.session().read().parquet(output.toString()).first();
        assertNull(row.get(row.fieldIndex("image")));
        assertArrayEquals(mixGenerate("a photo of a cat", 7), (byte[]) row.get(row.fieldIndex("png")));
    }

    /** What {@code mix generate tiny-sd.yaml --prompt P --seed S -o out.png} writes. */
    private byte[] mixGenerate(String prompt, long seed) throws Exception {
        PipelineConfig config = PipelineConfig.load(LocalSpark.ROOT.resolve(PIPELINE),
                new ConfigOverrides().set("seed", seed, "--seed"));
        Path out = Files.createTempDirectory(tmp, "cli").resolve("out.png");
        GenerationTaskRunner.run(config, new GenerationTaskRunner.Inputs(prompt, null, null, out),
                LocalSpark.runtime().loader(), ProgressListener.NONE);
        return Files.readAllBytes(out);
    }
}
