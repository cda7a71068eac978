package org.mix4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobOptionsTest {

    @Test
    void parsesTheSubmitArguments() {
        JobOptions o = BatchMain.parse("--pipeline", "p.yaml", "--input", "in.jsonl", "--output", "out",
                "--id-col", "key", "--batch-size", "8", "--images-out", "pngs");
        assertEquals("p.yaml", o.pipeline());
        assertEquals("key", o.columns().id());
        assertEquals("image", o.columns().image());
        assertEquals(8, o.batchSize());
        assertEquals("pngs", o.imagesOut());
        assertEquals(0, o.partitions());
        assertEquals(JobOptions.DEFAULT_CHUNK_ROWS, o.chunkRows());
    }

    @Test
    void rejectsUnknownMissingAndRepeatedOptions() {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> BatchMain.parse("--pipeline", "p.yaml", "--inptu", "x", "--output", "o"));
        assertTrue(unknown.getMessage().contains("'--inptu'") && unknown.getMessage().contains("--input"),
                unknown.getMessage());
        assertEquals("--input is required", assertThrows(IllegalArgumentException.class,
                () -> BatchMain.parse("--pipeline", "p.yaml", "--output", "o")).getMessage());
        assertEquals("--output is given twice", assertThrows(IllegalArgumentException.class,
                () -> BatchMain.parse("--pipeline", "p", "--input", "i", "--output", "o", "--output", "p")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BatchMain.parse("--pipeline", "p", "--input",
                "i", "--output", "o", "--batch-size", "many")).getMessage().contains("not a whole number"));
        assertEquals("--chunk-rows must be >= 1, got 0", assertThrows(IllegalArgumentException.class,
                () -> BatchMain.parse("--pipeline", "p", "--input", "i", "--output", "o", "--chunk-rows", "0"))
                .getMessage());
    }

    @Test
    void findsTheInputFormatAndImageRoot(@TempDir Path tmp) throws Exception {
        Path album = Files.createDirectories(tmp.resolve("album"));
        LocalSpark.writePng(album.resolve("a.png"), 4, 4, 1);
        Path table = Files.createDirectories(tmp.resolve("t.parquet"));
        assertEquals("images", InputData.format(JobOptions.builder("p", album.toString(), "o").build()));
        assertEquals("parquet", InputData.format(JobOptions.builder("p", table.toString(), "o").build()));
        assertEquals("jsonl", InputData.format(JobOptions.builder("p", tmp.resolve("q.jsonl").toString(), "o").build()));
        assertEquals("parquet", InputData.format(JobOptions.builder("p", "s3a://bucket/data", "o").build()));
        assertEquals(tmp.toString(), InputData.imageRoot(JobOptions.builder("p", table.toString(), "o").build()));
    }

    @Test
    void generatedFileNamesAreSafeAndKeepIdsApart() {
        assertEquals("cat-01.png", ImageTask.fileName("cat-01"));
        assertTrue(ImageTask.fileName("a/b").matches("a_b-[0-9a-f]{8}\\.png"));
        assertTrue(!ImageTask.fileName("a/b").equals(ImageTask.fileName("a_b")));
        assertTrue(ImageTask.fileName("..").startsWith("..-"));
    }

    @Test
    void theIndexRootIsTheImagePathLessTheId() {
        assertEquals("/albums/2019", ParquetIndex.rootOf("/albums/2019/a/b.png", "a/b.png"));
        assertEquals(null, ParquetIndex.rootOf("/elsewhere/x.png", "a/b.png"));
    }
}
