package org.mix4j.pipelines.retrieval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.api.ProgressListener;
import org.mix4j.api.RgbImage;
import org.mix4j.encoders.EncoderTestSupport;
import org.mix4j.image.ImageDecoder;
import org.mix4j.pipelines.task.PipelineConfig;

/** Building and updating an index with the clip_full image tower. */
class IndexerTest extends EncoderTestSupport {

    @TempDir
    Path tmp;

    Path images;
    Path indexFile;
    NDManager manager;
    RetrievalPipeline pipeline;

    /** The real pipeline, counting the images it is asked to encode. */
    final class CountingEmbedder implements ImageEmbedder {
        int images;
        int calls;
        final ModelFingerprint fingerprint;
        int failOnCall = -1;

        CountingEmbedder(ModelFingerprint fingerprint) {
            this.fingerprint = fingerprint;
        }

        @Override
        public ModelFingerprint fingerprint() {
            return fingerprint;
        }

        @Override
        public float[][] embedImages(List<RgbImage> batch) {
            if (++calls == failOnCall) {
                throw new IllegalStateException("interrupted on purpose");
            }
            images += batch.size();
            return pipeline.embedImages(batch);
        }
    }

    @BeforeEach
    void setUp() {
        images = tmp.resolve("album");
        indexFile = tmp.resolve("out/album.index");
        Path yaml = RetrievalFixtures.pipelineYaml(tmp.resolve("yaml"), RetrievalFixtures.clipFull(), "");
        manager = root.newSubManager();
        pipeline = RetrievalPipeline.load(PipelineConfig.load(yaml), loader, manager);
    }

    @AfterEach
    void tearDown() {
        pipeline.close();
        manager.close();
    }

    Indexer.Result run(CountingEmbedder embedder, int batchSize, Duration saveInterval, List<Indexer.Skipped> reported) {
        return new Indexer(embedder, new ImageDecoder(), batchSize, saveInterval, ProgressListener.NONE, reported::add)
                .index(images, indexFile);
    }

    Indexer.Result run(CountingEmbedder embedder) {
        return run(embedder, 3, Duration.ZERO, new ArrayList<>());
    }

    CountingEmbedder counting() {
        return new CountingEmbedder(pipeline.fingerprint());
    }

    void album(int n) {
        for (int i = 0; i < n; i++) {
            RetrievalFixtures.writePng(images.resolve("img" + i + ".png"), 40 + i, 30, i);
        }
    }

    static short[] row(IndexContents c, String path) {
        for (int i = 0; i < c.count(); i++) {
            if (c.entries().get(i).path().equals(path)) {
                return Arrays.copyOfRange(c.embeddings(), i * c.dim(), (i + 1) * c.dim());
            }
        }
        throw new AssertionError(path + " not in the index");
    }

    @Test
    void indexesImagesRecursivelyByExtensionInAnyCase() throws IOException {
        album(2);
        RetrievalFixtures.writePng(images.resolve("trip/day 1/BEACH.PNG"), 33, 33, 10);
        Files.copy(images.resolve("img0.png"), images.resolve("trip/copy.JpEg.png"));
        Files.writeString(images.resolve("notes.txt"), "not an image");
        CountingEmbedder e = counting();
        Indexer.Result r = run(e);
        assertEquals(List.of("img0.png", "img1.png", "trip/copy.JpEg.png", "trip/day 1/BEACH.PNG"),
                r.contents().entries().stream().map(IndexEntry::path).toList());
        assertEquals(4, e.images);
        assertEquals(2, e.calls, "batch_size 3: two encoder calls");
        assertEquals(4, r.added());
        IndexContents read = IndexFile.read(indexFile);
        assertEquals(r.contents().entries(), read.entries());
        assertEquals(pipeline.fingerprint(), read.model());
        assertEquals(images.toAbsolutePath().normalize().toString(), read.root());
        // the same file twice has the same embedding, and it is the pipeline's own, in fp16
        assertArrayEquals(row(read, "img0.png"), row(read, "trip/copy.JpEg.png"));
        float[] direct = pipeline.embedImages(List.of(new ImageDecoder().read(images.resolve("img1.png"))))[0];
        short[] stored = row(read, "img1.png");
        for (int i = 0; i < direct.length; i++) {
            assertEquals(direct[i], Fp16.toFloat(stored[i]), 1e-3);
        }
    }

    @Test
    void reindexEncodesOnlyNewAndChangedFilesAndDropsDeletedOnes() throws IOException {
        album(5);
        run(counting());
        IndexContents before = IndexFile.read(indexFile);

        CountingEmbedder unchanged = counting();
        Indexer.Result same = run(unchanged);
        assertEquals(0, unchanged.images);
        assertFalse(same.written(), "nothing changed, nothing written");

        RetrievalFixtures.writePng(images.resolve("new.png"), 41, 31, 100); // added
        RetrievalFixtures.writePng(images.resolve("img2.png"), 42, 30, 200); // changed content
        Files.setLastModifiedTime(images.resolve("img3.png"), FileTime.fromMillis(1_000_000)); // touched
        Files.delete(images.resolve("img4.png")); // removed
        CountingEmbedder e = counting();
        Indexer.Result r = run(e);

        assertEquals(3, e.images, "new.png, img2.png and the touched img3.png are encoded, nothing else");
        assertEquals(1, r.added());
        assertEquals(2, r.updated());
        assertEquals(1, r.removed());
        assertEquals(2, r.unchanged());
        IndexContents after = IndexFile.read(indexFile);
        assertEquals(List.of("img0.png", "img1.png", "img2.png", "img3.png", "new.png"),
                after.entries().stream().map(IndexEntry::path).toList());
        assertArrayEquals(row(before, "img0.png"), row(after, "img0.png"));
        assertArrayEquals(row(before, "img3.png"), row(after, "img3.png"), "same pixels, same embedding");
        assertFalse(Arrays.equals(row(before, "img2.png"), row(after, "img2.png")), "re-encoded with its new pixels");
        assertNotEquals(before.entries().get(3).mtimeNanos(), after.entries().get(3).mtimeNanos());
    }

    @Test
    void unreadableImagesAreReportedAndSkipped() throws IOException {
        album(3);
        Files.write(images.resolve("broken.jpg"), new byte[] {(byte) 0xff, (byte) 0xd8, (byte) 0xff, 1, 2, 3});
        Files.createDirectories(images.resolve("sub"));
        Files.writeString(images.resolve("sub/fake.gif"), "GIF? no");
        List<Indexer.Skipped> reported = new ArrayList<>();
        CountingEmbedder e = counting();
        Indexer.Result r = run(e, 8, Duration.ZERO, reported);

        assertEquals(List.of("broken.jpg", "sub/fake.gif"), reported.stream().map(Indexer.Skipped::path).toList());
        assertEquals(reported, r.skipped());
        assertTrue(reported.get(0).reason().contains(images.resolve("broken.jpg").toString()), reported.get(0).reason());
        assertEquals(3, r.contents().count());
        assertEquals(3, e.images);
        assertTrue(r.summary().contains("2 skipped"), r.summary());
    }

    @Test
    void imagesOverThePixelLimitAreSkipped() {
        album(2);
        RetrievalFixtures.writePng(images.resolve("huge.png"), 200, 200, 5);
        List<Indexer.Skipped> reported = new ArrayList<>();
        Indexer.Result r = new Indexer(counting(), new ImageDecoder(10_000), 4, Duration.ZERO, ProgressListener.NONE,
                reported::add).index(images, indexFile);
        assertEquals(List.of("huge.png"), reported.stream().map(Indexer.Skipped::path).toList());
        assertEquals(2, r.contents().count());
    }

    @Test
    void refusesToExtendAnIndexOfAnotherModel() throws IOException {
        album(2);
        run(counting());
        byte[] before = Files.readAllBytes(indexFile);
        ModelFingerprint other = new ModelFingerprint("/elsewhere/clip-l", "clip_vision", "0".repeat(64),
                pipeline.dim());
        CountingEmbedder e = new CountingEmbedder(other);
        IndexFileException ex = assertThrows(IndexFileException.class, () -> run(e));
        assertTrue(ex.getMessage().startsWith(indexFile.toString()), ex.getMessage());
        assertTrue(ex.getMessage().contains("/elsewhere/clip-l")
                && ex.getMessage().contains(pipeline.fingerprint().checkpoint()), ex.getMessage());
        assertEquals(0, e.images);
        assertArrayEquals(before, Files.readAllBytes(indexFile));
    }

    @Test
    void anInterruptedRunKeepsTheIndexReadableWithWhatWasSaved() throws IOException {
        album(2);
        run(counting());
        for (int i = 10; i < 16; i++) {
            RetrievalFixtures.writePng(images.resolve("more" + i + ".png"), 35, 35, i);
        }
        CountingEmbedder e = counting();
        e.failOnCall = 3; // batches of 2: the third call fails after two were saved
        assertThrows(IllegalStateException.class, () -> run(e, 2, Duration.ofNanos(1), new ArrayList<>()));
        IndexContents saved = IndexFile.read(indexFile);
        assertEquals(List.of("img0.png", "img1.png", "more10.png", "more11.png", "more12.png", "more13.png"),
                saved.entries().stream().map(IndexEntry::path).toList());

        CountingEmbedder resume = counting();
        Indexer.Result r = run(resume);
        assertEquals(2, resume.images, "the next run only encodes what was not saved");
        assertEquals(8, r.contents().count());
    }
}
