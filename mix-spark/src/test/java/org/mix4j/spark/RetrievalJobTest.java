package org.mix4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.api.ProgressListener;
import org.mix4j.image.ImageDecoder;
import org.mix4j.pipelines.retrieval.IndexContents;
import org.mix4j.pipelines.retrieval.IndexFile;
import org.mix4j.pipelines.retrieval.Indexer;
import org.mix4j.pipelines.retrieval.RetrievalPipeline;
import org.mix4j.pipelines.task.PipelineConfig;

/**
 * {@code task: retrieval} over a folder of 300 images and one that does not decode, against the
 * code {@code mix index} and {@code mix search --image} run.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RetrievalJobTest {

    private static final String PIPELINE = "examples/retrieval/tiny.yaml";
    private static final int IMAGES = 300;

    private Path tmp;
    private Path images;
    private Path output;
    private BatchInference.Summary first;
    private NDManager manager;
    private RetrievalPipeline cli;

    @BeforeAll
    void runJob(@TempDir Path dir) throws Exception {
        tmp = dir;
        images = tmp.resolve("album");
        for (int i = 0; i < IMAGES; i++) {
            LocalSpark.writePng(images.resolve(String.format("%s/img%03d.png", i % 3 == 0 ? "2019" : "2020", i)),
                    24 + i % 17, 20 + i % 13, i);
        }
        Files.writeString(images.resolve("2020/broken.png"), "not a png");
        output = tmp.resolve("embeddings.parquet");
        // 128 rows a chunk: three chunks, each its own commit
        first = BatchInference.run(LocalSpark.session(), LocalSpark.job(PIPELINE, images, output).chunkRows(128).build());
        System.out.println("retrieval, " + (IMAGES + 1) + " images: " + first.describe());
        manager = NDManager.newBaseManager();
        cli = RetrievalPipeline.load(PipelineConfig.load(LocalSpark.ROOT.resolve(PIPELINE)),
                LocalSpark.runtime().loader(), manager);
    }

    @AfterAll
    void close() {
        cli.close();
        manager.close();
    }

    private Map<String, Row> rows() {
        Map<String, Row> byId = new HashMap<>();
        for (Row r : LocalSpark.session().read().parquet(output.toString()).collectAsList()) {
            byId.put(r.getString(r.fieldIndex("id")), r);
        }
        return byId;
    }

    @Test
    @Order(1)
    void embeddingsEqualTheOnesOfTheCliPath() {
        Map<String, Row> rows = rows();
        assertEquals(IMAGES + 1, rows.size());
        assertEquals(IMAGES + 1, first.rows());
        assertEquals(3, first.chunks());
        ImageDecoder decoder = new ImageDecoder();
        for (int i = 0; i < IMAGES; i += 7) {
            String id = String.format("%s/img%03d.png", i % 3 == 0 ? "2019" : "2020", i);
            Row row = rows.get(id);
            assertNull(row.get(row.fieldIndex("error")), id);
            List<Float> got = row.getList(row.fieldIndex("embedding"));
            float[] want = cli.embedImages(List.of(decoder.read(images.resolve(id))))[0];
            assertEquals(want.length, got.size());
            for (int k = 0; k < want.length; k++) {
                assertEquals(want[k], got.get(k), 1e-5f, id + "[" + k + "]");
            }
            assertTrue(row.getDouble(row.fieldIndex("ms")) > 0);
            assertEquals(images.resolve(id).toString(), row.getString(row.fieldIndex("image")));
        }
    }

    @Test
    @Order(2)
    void anImageThatDoesNotDecodeIsAnErrorRowAndTheOthersSucceed() {
        Map<String, Row> rows = rows();
        Row broken = rows.get("2020/broken.png");
        String error = broken.getString(broken.fieldIndex("error"));
        assertNotNull(error);
        assertTrue(error.contains("broken.png"), error);
        assertNull(broken.get(broken.fieldIndex("embedding")));
        assertEquals(1, first.errors());
        assertEquals(IMAGES, rows.values().stream().filter(r -> r.isNullAt(r.fieldIndex("error"))).count());
    }

    @Test
    @Order(3)
    void aRerunSkipsTheDoneRowsAndRetriesOnlyTheFailedOne() {
        long modelRows = PartitionRunner.modelRows();
        int loads = PipelineCache.loads();
        BatchInference.Summary again = BatchInference.run(LocalSpark.session(),
                LocalSpark.job(PIPELINE, images, output).build());
        assertEquals(IMAGES, again.skipped());
        assertEquals(1, again.rows()); // the broken image, tried again
        assertEquals(modelRows, PartitionRunner.modelRows(), "no row reached the model");
        assertEquals(loads, PipelineCache.loads(), "the executor's pipeline was reused");
        assertEquals(IMAGES + 2, LocalSpark.session().read().parquet(output.toString()).count(), "old parts are kept");
    }

    @Test
    @Order(4)
    void theIndexOfTheOutputIsTheIndexMixIndexBuilds() throws Exception {
        Path cliIndex = tmp.resolve("cli.index");
        Indexer.Result result = new Indexer(cli, new ImageDecoder(), cli.settings().batchSize(), Duration.ZERO,
                ProgressListener.NONE, s -> {}).index(images, cliIndex);
        assertEquals(1, result.skipped().size());
        IndexContents want = IndexFile.read(cliIndex);
        IndexContents got = ParquetIndex.build(LocalSpark.session(), output.toString(), null);
        assertEquals(want.model(), got.model());
        assertEquals(want.root(), got.root());
        assertEquals(want.entries(), got.entries());
        // Float embeddings of one image differ by ~1e-7 between batches of other images (the engine's
        // blocking), which can move a value to the neighbouring fp16: at most one unit in the last place.
        short[] w = want.embeddings();
        short[] g = got.embeddings();
        assertEquals(w.length, g.length);
        int differing = 0;
        for (int i = 0; i < w.length; i++) {
            assertTrue(Math.abs(w[i] - g[i]) <= 1, "value " + i + ": fp16 bits " + w[i] + " vs " + g[i]);
            differing += w[i] != g[i] ? 1 : 0;
        }
        System.out.println("index from Parquet: " + differing + " of " + w.length + " fp16 values one unit apart");
        assertTrue(differing <= w.length / 100, differing + " of " + w.length + " values differ");
        Path sparkIndex = tmp.resolve("spark.index");
        IndexFile.write(sparkIndex, got);
        assertEquals(IndexFile.read(sparkIndex).entries(), want.entries(), "the written file reads back");
    }
}
