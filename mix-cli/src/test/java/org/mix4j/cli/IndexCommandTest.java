package org.mix4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.pipelines.retrieval.RetrievalFixtures;

/** {@code mix index} keeps what it cannot see, asks before removing most of an index, and names the images it skips. */
class IndexCommandTest {

    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final String TINY = REPO.resolve("examples/retrieval/tiny.yaml").toString();

    @TempDir
    Path dir;

    Path album;
    Path index;

    record Result(int code, String out, String err) {}

    private Result mix(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Mix.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    private Result index(Path images, Path out, String... more) {
        String[] args = {"index", TINY, "--images", images.toString(), "--out", out.toString(), "--no-progress"};
        String[] all = java.util.Arrays.copyOf(args, args.length + more.length);
        System.arraycopy(more, 0, all, args.length, more.length);
        return mix(all);
    }

    @BeforeEach
    void album() {
        album = dir.resolve("album");
        index = dir.resolve("album.index");
        for (int i = 0; i < 3; i++) {
            RetrievalFixtures.writePng(album.resolve("img" + i + ".png"), 40 + i, 30, i);
        }
    }

    @Test
    void anEmptyFolderIsRefusedUntilPruneConfirmsAndThePreviousIndexIsKept() throws IOException {
        assertEquals(0, index(album, index).code());
        byte[] before = Files.readAllBytes(index);
        Path unmounted = Files.createDirectories(dir.resolve("mnt"));

        Result r = index(unmounted, index);
        assertEquals(1, r.code(), r.out());
        assertTrue(r.err().contains("would remove 3 of the 3 entries") && r.err().contains("--prune"), r.err());
        assertArrayEquals(before, Files.readAllBytes(index));

        r = index(unmounted, index, "--prune");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("3 removed"), r.out());
        assertArrayEquals(before, Files.readAllBytes(dir.resolve("album.index.bak")));
    }

    @Test
    void aMissingFolderIsAnErrorAndChangesNothing() throws IOException {
        assertEquals(0, index(album, index).code());
        byte[] before = Files.readAllBytes(index);
        Result r = index(dir.resolve("not-mounted"), index);
        assertEquals(2, r.code(), r.out()); // a wrong argument, as ErrorMessages counts it
        assertTrue(r.err().contains("not a folder of images"), r.err());
        assertArrayEquals(before, Files.readAllBytes(index));
    }

    @Test
    void aMissingSubFolderKeepsItsEntriesWithAWarning() throws IOException {
        RetrievalFixtures.writePng(album.resolve("2019/a.png"), 33, 30, 7);
        RetrievalFixtures.writePng(album.resolve("2019/b.png"), 34, 30, 8);
        assertEquals(0, index(album, index).code());
        Files.move(album.resolve("2019"), dir.resolve("moved"));

        Result r = index(album, index);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("warning: kept 2 entries under " + album.resolve("2019")
                + ": the folder is missing"), r.err());
        assertTrue(r.out().contains("5 images indexed") && r.out().contains("0 removed"), r.out());
    }

    @Test
    void aPoisonImageIsNamedAndSkipped() {
        RetrievalFixtures.writeBlankPng(album.resolve("poison.png"), 80_000_000, 1);
        Result r = index(album, index);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("skipped poison.png: cannot preprocess or encode: "), r.err());
        assertTrue(r.out().contains("3 images indexed: 3 added") && r.out().contains("1 skipped"), r.out());
    }

    @Test
    void whenEveryImageFailsTheExitCodeSaysSo() throws IOException {
        Path broken = Files.createDirectories(dir.resolve("broken"));
        Files.writeString(broken.resolve("a.png"), "not a png");
        Result r = index(broken, index);
        assertEquals(1, r.code(), r.out());
        assertTrue(r.err().contains("skipped a.png") && r.err().contains("none of the images"), r.err());
    }

    @Test
    void aSymbolicLinkOutIsWrittenThroughAndStaysALink() throws IOException {
        Path real = dir.resolve("store/album.index");
        Files.createDirectories(real.getParent());
        Files.createSymbolicLink(index, real);
        assertEquals(0, index(album, index).code());
        RetrievalFixtures.writePng(album.resolve("new.png"), 44, 30, 9);
        byte[] first = Files.readAllBytes(real);
        Result r = index(album, index);
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.isSymbolicLink(index));
        assertTrue(r.out().contains("4 images indexed"), r.out());
        assertArrayEquals(first, Files.readAllBytes(dir.resolve("store/album.index.bak")));
        assertFalse(Files.exists(dir.resolve("album.index.bak")));
    }
}
