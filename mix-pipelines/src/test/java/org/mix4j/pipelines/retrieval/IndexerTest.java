package org.mix4j.pipelines.retrieval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
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
    class CountingEmbedder implements ImageEmbedder {
        int images;
        int calls;
        final ModelFingerprint fingerprint;
        int failOnCall = -1;

        /** Not a per-image failure: what a crash or a kill looks like to the run. */
        static final class Crash extends Error {
            Crash() {
                super("interrupted on purpose");
            }
        }

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
                throw new Crash();
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

    @Test
    void anIndexBuilderGivenTheSameFilesAndEmbeddingsBuildsTheSameIndex() {
        album(5);
        run(counting());
        ImageFolder.Scan scan = ImageFolder.scan(images);
        IndexBuilder builder = new IndexBuilder(pipeline.fingerprint(), images.toAbsolutePath().normalize().toString());
        ImageDecoder decoder = new ImageDecoder();
        List<ImageFolder.ImageFile> files = new ArrayList<>(scan.images());
        java.util.Collections.reverse(files); // any order: the builder keeps its entries sorted by path
        for (ImageFolder.ImageFile f : files) {
            builder.add(new IndexEntry(f.relative(), f.size(), f.mtimeNanos()),
                    pipeline.embedImages(List.of(decoder.read(f.file())))[0]);
        }
        IndexContents built = builder.build();
        IndexContents indexed = IndexFile.read(indexFile);
        assertEquals(indexed.entries(), built.entries());
        assertEquals(indexed.root(), built.root());
        assertArrayEquals(indexed.embeddings(), built.embeddings());
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
        assertThrows(CountingEmbedder.Crash.class, () -> run(e, 2, Duration.ofNanos(1), new ArrayList<>()));
        IndexContents saved = IndexFile.read(indexFile);
        assertEquals(List.of("img0.png", "img1.png", "more10.png", "more11.png", "more12.png", "more13.png"),
                saved.entries().stream().map(IndexEntry::path).toList());

        CountingEmbedder resume = counting();
        Indexer.Result r = run(resume);
        assertEquals(2, resume.images, "the next run only encodes what was not saved");
        assertEquals(8, r.contents().count());
    }

    @Test
    void aPoisonImageOfAnyKindIsSkippedByNameAndTheRunGoesOn() {
        album(2);
        // under PIL's pixel cap, so it decodes; the 224-pixel short edge then asks for a 2^31-wide resize
        RetrievalFixtures.writeBlankPng(images.resolve("poison.png"), 80_000_000, 1);
        List<Indexer.Skipped> reported = new ArrayList<>();
        Indexer.Result r = run(counting(), 4, Duration.ZERO, reported);
        assertEquals(List.of("poison.png"), reported.stream().map(Indexer.Skipped::path).toList());
        assertTrue(reported.get(0).reason().startsWith("cannot preprocess or encode: "), reported.get(0).reason());
        assertEquals(List.of("img0.png", "img1.png"), IndexFile.read(indexFile).entries().stream()
                .map(IndexEntry::path).toList(), "the batch the poison image was in is encoded without it");
        assertTrue(r.summary().contains("2 added") && r.summary().contains("1 skipped"), r.summary());
        assertFalse(r.nothingIndexed());
    }

    @Test
    void anEncoderFailureOnOneImageSkipsOnlyThatImage() {
        album(3);
        CountingEmbedder e = new CountingEmbedder(pipeline.fingerprint()) {
            @Override
            public float[][] embedImages(List<RgbImage> batch) {
                if (batch.stream().anyMatch(i -> i.width() == 41)) {
                    throw new IllegalStateException("no kernel for this size");
                }
                return super.embedImages(batch);
            }
        };
        List<Indexer.Skipped> reported = new ArrayList<>();
        Indexer.Result r = run(e, 3, Duration.ZERO, reported);
        assertEquals(List.of(new Indexer.Skipped("img1.png",
                "cannot preprocess or encode: IllegalStateException: no kernel for this size")), reported);
        assertEquals(2, r.contents().count());
    }

    @Test
    void everyImageFailingIsNothingIndexed() throws IOException {
        Files.createDirectories(images);
        Files.writeString(images.resolve("a.png"), "not a png");
        Indexer.Result r = run(counting());
        assertTrue(r.nothingIndexed());
    }

    @Test
    void anEmptyFolderDoesNotWipeTheIndex() throws IOException {
        album(6);
        run(counting());
        byte[] before = Files.readAllBytes(indexFile);
        Path unmounted = tmp.resolve("mnt");
        Files.createDirectories(unmounted); // a mount point whose drive is not mounted
        IndexFileException ex = assertThrows(IndexFileException.class, () -> new Indexer(counting(),
                new ImageDecoder(), 3, Duration.ZERO, ProgressListener.NONE, s -> { }).index(unmounted, indexFile));
        assertTrue(ex.getMessage().contains("would remove 6 of the 6 entries") && ex.getMessage().contains("--prune"),
                ex.getMessage());
        assertArrayEquals(before, Files.readAllBytes(indexFile), "nothing written");
        assertFalse(Files.exists(IndexSaver.backupOf(indexFile)));

        Indexer.Result pruned = new Indexer(counting(), new ImageDecoder(), 3, Duration.ZERO, ProgressListener.NONE,
                s -> { }).index(unmounted, indexFile, true);
        assertEquals(6, pruned.removed());
        assertEquals(0, IndexFile.read(indexFile).count());
        assertArrayEquals(before, Files.readAllBytes(IndexSaver.backupOf(indexFile)), "the previous index is kept");
    }

    @Test
    void removingUpToHalfNeedsNoPrune() throws IOException {
        album(4);
        run(counting());
        Files.delete(images.resolve("img0.png"));
        Files.delete(images.resolve("img1.png"));
        assertEquals(2, run(counting()).removed());
        Files.delete(images.resolve("img2.png"));
        Files.delete(images.resolve("img3.png"));
        assertThrows(IndexFileException.class, () -> run(counting()), "2 of 4 is fine, 2 of 2 is not");
    }

    @Test
    void entriesUnderAMissingSubFolderAreKeptUnlessPruned() throws IOException {
        album(2);
        for (int i = 0; i < 5; i++) {
            RetrievalFixtures.writePng(images.resolve("2019/summer/s" + i + ".png"), 30 + i, 30, 50 + i);
        }
        run(counting());
        byte[] first = Files.readAllBytes(indexFile);
        Files.move(images.resolve("2019"), tmp.resolve("2019-elsewhere"));
        Files.delete(images.resolve("img1.png"));

        Indexer.Result r = run(counting());
        assertEquals(1, r.removed(), "img1.png is gone: its folder was listed");
        assertEquals(List.of(new Indexer.Held(images.toAbsolutePath().resolve("2019").toString(), true, 5)), r.held());
        assertTrue(r.held().get(0).describe().contains("--prune"), r.held().get(0).describe());
        assertEquals(6, IndexFile.read(indexFile).count());
        assertTrue(r.summary().contains("5 kept unseen"), r.summary());
        assertArrayEquals(first, Files.readAllBytes(IndexSaver.backupOf(indexFile)));

        Indexer.Result pruned = new Indexer(counting(), new ImageDecoder(), 3, Duration.ZERO, ProgressListener.NONE,
                s -> { }).index(images, indexFile, true);
        assertEquals(5, pruned.removed());
        assertEquals(List.of("img0.png"), IndexFile.read(indexFile).entries().stream().map(IndexEntry::path).toList());
    }

    @Test
    void anotherFolderIsRefusedRatherThanMixedIn() throws IOException {
        album(1);
        for (int i = 0; i < 4; i++) {
            RetrievalFixtures.writePng(images.resolve("2019/s" + i + ".png"), 30 + i, 30, 50 + i);
        }
        run(counting());
        byte[] before = Files.readAllBytes(indexFile);
        Path other = tmp.resolve("other");
        RetrievalFixtures.writePng(other.resolve("img0.png"), 40, 30, 0); // the same relative path, same pixels
        Indexer indexer = new Indexer(counting(), new ImageDecoder(), 3, Duration.ZERO, ProgressListener.NONE, s -> { });
        IndexFileException ex = assertThrows(IndexFileException.class, () -> indexer.index(other, indexFile));
        assertTrue(ex.getMessage().contains("was made from " + images.toAbsolutePath())
                && ex.getMessage().contains(other.toAbsolutePath().resolve("2019").toString())
                && ex.getMessage().contains("--prune"), ex.getMessage());
        assertArrayEquals(before, Files.readAllBytes(indexFile));

        Path moved = tmp.resolve("moved");
        Files.move(images, moved);
        Indexer.Result r = indexer.index(moved, indexFile);
        assertEquals(5, r.unchanged(), "a moved album keeps every embedding");
        assertEquals(moved.toAbsolutePath().toString(), IndexFile.read(indexFile).root());
    }

    @Test
    void entriesUnderAnUnreadableFolderOrRootAreKeptEvenWithPrune() throws IOException {
        album(1);
        for (int i = 0; i < 3; i++) {
            RetrievalFixtures.writePng(images.resolve("trip/t" + i + ".png"), 30 + i, 30, 50 + i);
        }
        run(counting());
        Indexer indexer = new Indexer(counting(), new ImageDecoder(), 3, Duration.ZERO, ProgressListener.NONE, s -> { });

        Indexer.Result r = indexer.index(unreadable(ImageFolder.scan(images), "trip"), images, indexFile, true);
        assertEquals(0, r.removed());
        assertEquals(List.of(new Indexer.Held(images.toAbsolutePath().resolve("trip").toString(), false, 3)), r.held());
        assertEquals(4, IndexFile.read(indexFile).count());

        r = indexer.index(unreadable(ImageFolder.scan(images), ""), images, indexFile, true);
        assertEquals(0, r.removed());
        assertEquals(4, r.held().get(0).entries());
        assertEquals(4, IndexFile.read(indexFile).count());
    }

    @Test
    void anUnreadableSubFolderKeepsItsEntries() throws IOException {
        assumeFalse("root".equals(System.getProperty("user.name")), "root reads any folder");
        album(1);
        RetrievalFixtures.writePng(images.resolve("locked/a.png"), 30, 30, 1);
        RetrievalFixtures.writePng(images.resolve("locked/b.png"), 31, 30, 2);
        run(counting());
        Files.setPosixFilePermissions(images.resolve("locked"), PosixFilePermissions.fromString("---------"));
        try {
            Indexer.Result r = run(counting());
            assertEquals(0, r.removed());
            assertEquals(3, IndexFile.read(indexFile).count());
        } finally {
            Files.setPosixFilePermissions(images.resolve("locked"), PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    /** {@code scan} as if {@code folder} ("" the root) could not be opened: its files unseen, the failure listed. */
    static ImageFolder.Scan unreadable(ImageFolder.Scan scan, String folder) {
        String prefix = folder.isEmpty() ? "" : folder + "/";
        List<ImageFolder.ImageFile> seen = scan.images().stream().filter(f -> !f.relative().startsWith(prefix)).toList();
        List<Indexer.Skipped> failed = new ArrayList<>(scan.unreadable());
        failed.add(new Indexer.Skipped(folder, "cannot read: java.nio.file.AccessDeniedException"));
        Set<String> listed = scan.listed().stream().filter(d -> !d.equals(folder) && !d.startsWith(prefix))
                .collect(Collectors.toSet());
        return new ImageFolder.Scan(seen, failed, listed);
    }
}
