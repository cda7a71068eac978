package org.mix4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.MixRuntime;
import org.mix4j.api.ImageProcessor;
import org.mix4j.api.RgbImage;
import org.mix4j.api.Role;
import org.mix4j.cli.Mix;
import org.mix4j.config.JsonConfig;
import org.mix4j.encoders.clip.ClipModel;
import org.mix4j.image.ImageDecoder;
import org.mix4j.registry.MixSettings;

/** {@code mix index}, {@code mix search} and {@code mix bench retrieval} end to end, all modules on the classpath. */
class RetrievalCliTest {

    static final Path TINY = Path.of("retrieval/tiny.yaml");
    static final int[] COLOURS = {0xff0000, 0x00ff00, 0x0000ff, 0xffffff, 0x000000, 0xffff00};

    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {}

    static Run mix(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Mix.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    static Path clipFull() {
        return Path.of(System.getProperty("mix.golden.dir", "../testdata/golden")).resolve("clip_full");
    }

    /** Solid colours with a gradient, so the tiny model gives them clearly different embeddings. */
    static void writeAlbum(Path dir) throws IOException {
        for (int i = 0; i < COLOURS.length; i++) {
            BufferedImage image = new BufferedImage(48 + i, 40, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < image.getHeight(); y++) {
                for (int x = 0; x < image.getWidth(); x++) {
                    image.setRGB(x, y, x < 24 ? COLOURS[i] : (x * 5) << 8 | y * 6);
                }
            }
            Path file = dir.resolve(i % 2 == 0 ? "img" + i + ".png" : "sub/IMG" + i + ".PNG");
            Files.createDirectories(file.getParent());
            ImageIO.write(image, "png", file.toFile());
        }
        Files.write(dir.resolve("broken.jpg"), new byte[] {(byte) 0xff, (byte) 0xd8, 0, 0, 0});
    }

    /** {@code rank score path} lines after the header. */
    static List<String[]> results(String out) {
        List<String[]> rows = new ArrayList<>();
        for (String line : out.strip().split("\n")) {
            String t = line.strip();
            if (!t.isEmpty() && Character.isDigit(t.charAt(0))) {
                rows.add(t.split("\\s+", 3));
            }
        }
        return rows;
    }

    @Test
    void indexesAFolderSkipsTheBrokenFileAndFindsAnImageByItself() throws IOException {
        Path album = tmp.resolve("album");
        writeAlbum(album);
        Path index = tmp.resolve("album.index");
        Run first = mix("index", TINY.toString(), "--images", album.toString(), "--out", index.toString(), "--no-progress");
        assertEquals(0, first.code(), first.err());
        assertTrue(first.out().contains("6 images indexed: 6 added"), first.out());
        assertTrue(first.out().contains("1 skipped"), first.out());
        assertTrue(first.err().contains("skipped broken.jpg: " + album.toAbsolutePath().resolve("broken.jpg")), first.err());

        Run again = mix("index", TINY.toString(), "--images", album.toString(), "--out", index.toString(), "--no-progress");
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().contains("0 added, 0 updated, 0 removed, 6 unchanged"), again.out());
        assertTrue(again.out().contains("already up to date"), again.out());

        Path query = album.resolve("sub/IMG3.PNG");
        Run search = mix("search", TINY.toString(), "--index", index.toString(), "--image", query.toString(), "-k", "3");
        assertEquals(0, search.code(), search.err());
        List<String[]> rows = results(search.out());
        assertEquals(3, rows.size(), search.out());
        assertEquals(query.toAbsolutePath().normalize().toString(), rows.get(0)[2]);
        assertEquals(1.0, Double.parseDouble(rows.get(0)[1]), 1e-3, "an image matches itself");
    }

    @Test
    void textSearchRanksImagesAsTheClipModelDoes() throws IOException {
        Path album = tmp.resolve("album");
        writeAlbum(album);
        Files.delete(album.resolve("broken.jpg"));
        // A character-level CLIP BPE vocabulary with ids inside the tiny model's 100 (98/99 = its bos/eos).
        Path tokenizer = tmp.resolve("tokenizer");
        Files.createDirectories(tokenizer);
        JsonObject vocab = new JsonObject();
        for (char c = 'a'; c <= 'z'; c++) {
            vocab.addProperty(String.valueOf(c), c - 'a');
            vocab.addProperty(c + "</w>", 26 + c - 'a');
        }
        vocab.addProperty("<|startoftext|>", 98);
        vocab.addProperty("<|endoftext|>", 99);
        Files.writeString(tokenizer.resolve("vocab.json"), vocab.toString());
        Files.writeString(tokenizer.resolve("merges.txt"), "#version: 0.2\n");
        int size = JsonConfig.read(clipFull().resolve("config.json")).getAsJsonObject("vision_config").get("image_size")
                .getAsInt();
        Path yaml = tmp.resolve("text.yaml");
        Files.writeString(yaml, "task: retrieval\ncheckpoint: " + clipFull().toAbsolutePath().normalize() + "\n"
                + "image_processor: {type: hf_image_processor, size: {shortest_edge: " + size + "}, crop_size: " + size + "}\n"
                + "encoder: {type: clip_vision}\ntext_encoder: {type: clip_text}\n"
                + "tokenizer: {type: clip_bpe, path: " + tokenizer.toAbsolutePath() + "}\n");
        Path index = tmp.resolve("album.index");
        assertEquals(0, mix("index", yaml.toString(), "--images", album.toString(), "--out", index.toString(),
                "--no-progress").code());
        Run search = mix("search", yaml.toString(), "--index", index.toString(), "--text", "a cat", "-k", "6");
        assertEquals(0, search.code(), search.err());
        List<String[]> rows = results(search.out());

        // The reference: transformers-parity CLIPModel on ids written out by hand, images through the processor.
        long[] ids = {98, 26, 2, 0, 26 + 't' - 'a', 99}; // <start> a</w> c a t</w> <end>
        Map<String, Double> expected = new java.util.HashMap<>();
        try (MixRuntime runtime = MixRuntime.start(MixSettings.builtInOnly());
                NDManager m = NDManager.newBaseManager();
                ClipModel clip = ClipModel.load(runtime.loader(), clipFull(), Map.of(), m, DataType.FLOAT32)) {
            ImageProcessor processor = runtime.loader().load("hf_image_processor", Role.IMAGE_PROCESSOR, clipFull(),
                    Map.of("size", Map.of("shortest_edge", size), "crop_size", size), m, DataType.FLOAT32);
            float[] text = clip.textEmbeds(m.create(new long[][] {ids}), null).toFloatArray();
            try (var files = Files.walk(album)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    RgbImage image = new ImageDecoder().read(f);
                    float[] emb = clip.imageEmbeds(processor.preprocess(List.of(image), m)).toFloatArray();
                    expected.put(f.toAbsolutePath().normalize().toString(),
                            IntStream.range(0, emb.length).mapToDouble(i -> (double) emb[i] * text[i]).sum());
                }
            }
        }
        assertEquals(expected.size(), rows.size(), search.out());
        List<String> order = expected.keySet().stream()
                .sorted(Comparator.comparingDouble((String p) -> -expected.get(p))).toList();
        int asserted = 0;
        for (int r = 0; r < rows.size(); r++) {
            assertEquals(expected.get(rows.get(r)[2]), Double.parseDouble(rows.get(r)[1]), 1e-3, search.out());
            double gapBefore = r == 0 ? 1 : expected.get(order.get(r - 1)) - expected.get(order.get(r));
            double gapAfter = r == order.size() - 1 ? 1 : expected.get(order.get(r)) - expected.get(order.get(r + 1));
            if (Math.min(gapBefore, gapAfter) > 2e-3) { // a rank only fp16 rounding could swap is not asserted
                assertEquals(order.get(r), rows.get(r)[2], "rank " + (r + 1) + "\n" + search.out());
                asserted++;
            }
        }
        assertTrue(asserted >= rows.size() / 2, "most ranks are clear enough to check:\n" + search.out() + expected);
    }

    @Test
    void tinyYamlAnswersTextQueriesAndATokenizerOfAnotherVocabularyStopsWithAClearError() throws IOException {
        Path album = tmp.resolve("album");
        writeAlbum(album);
        Path index = tmp.resolve("album.index");
        mix("index", TINY.toString(), "--images", album.toString(), "--out", index.toString(), "--no-progress");
        // tiny.yaml's own tokenizer fits the tiny text tower: its text queries run
        Run fits = mix("search", TINY.toString(), "--index", index.toString(), "--text", "a red sun", "-k", "2");
        assertEquals(0, fits.code(), fits.err());
        assertEquals(2, results(fits.out()).size(), fits.out());
        // the real CLIP tokenizer makes ids the 100-token tower does not have
        Path yaml = tmp.resolve("real-tokenizer.yaml");
        Files.writeString(yaml, Files.readString(TINY).replace("checkpoint: ../../testdata/golden/clip_full",
                "checkpoint: " + clipFull().toAbsolutePath().normalize()).replaceAll("tokenizer: *\\{[^}]*\\}",
                "tokenizer: { type: clip_bpe, path: ../clip_tokenizer }"));
        Run search = mix("search", yaml.toString(), "--index", index.toString(), "--text", "a dog on the beach");
        assertNotEquals(0, search.code());
        assertTrue(search.err().contains("outside the text encoder's vocabulary (vocab_size 100)"), search.err());
    }

    @Test
    void missingOrCorruptIndexFilesAreNamed() throws IOException {
        Path missing = tmp.resolve("missing.index");
        Run r = mix("search", TINY.toString(), "--index", missing.toString(), "--image", "whatever.png");
        assertEquals(1, r.code());
        assertTrue(r.err().contains(missing.toString()) && r.err().contains("no such index file"), r.err());

        Path corrupt = tmp.resolve("corrupt.index");
        Files.writeString(corrupt, "MIXINDEX but then nothing sensible");
        r = mix("search", TINY.toString(), "--index", corrupt.toString(), "--image", "whatever.png");
        assertEquals(1, r.code());
        assertTrue(r.err().contains(corrupt.toString()) && r.err().contains("corrupt"), r.err());

        Path album = tmp.resolve("album");
        Files.createDirectories(album);
        r = mix("index", TINY.toString(), "--images", album.toString(), "--out", corrupt.toString(), "--no-progress");
        assertEquals(1, r.code());
        assertTrue(r.err().contains(corrupt.toString()), r.err());
    }

    @Test
    void anIndexOfAnotherModelIsNotExtendedOrSearched() throws IOException {
        Path album = tmp.resolve("album");
        writeAlbum(album);
        Path index = tmp.resolve("album.index");
        mix("index", TINY.toString(), "--images", album.toString(), "--out", index.toString(), "--no-progress");
        byte[] before = Files.readAllBytes(index);
        Path other = tmp.resolve("other.yaml");
        Files.writeString(other, Files.readString(TINY)
                .replace("checkpoint: ../../testdata/golden/clip_full", "checkpoint: " + Path.of("../testdata/golden/clip_full").toAbsolutePath().normalize())
                .replace("path: ../clip_tokenizer", "path: " + Path.of("../testdata/golden/clip_tokenizer").toAbsolutePath().normalize())
                .replace("crop_size: 32 }", "crop_size: 32, image_mean: [0.5, 0.5, 0.5] }"));
        Run r = mix("index", other.toString(), "--images", album.toString(), "--out", index.toString(), "--no-progress");
        assertEquals(1, r.code(), r.out());
        assertTrue(r.err().contains("cannot be mixed") && r.err().contains(index.toString()), r.err());
        assertEquals(java.util.Arrays.hashCode(before), java.util.Arrays.hashCode(Files.readAllBytes(index)));
        r = mix("search", other.toString(), "--index", index.toString(), "--image", album.resolve("img0.png").toString());
        assertEquals(1, r.code(), r.out());
        assertTrue(r.err().contains("search it with the pipeline that built it"), r.err());
    }

    @Test
    void benchRetrievalWritesItsReport() throws IOException {
        Path json = tmp.resolve("bench/retrieval.json");
        Run r = mix("bench", "retrieval", "--count", "3000", "--dim", "32", "--queries", "5", "--warmup", "1",
                "--verify", "2", "--json", json.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("retrieval") && l.contains("query latency")), r.out());
        JsonObject report = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        JsonObject section = report.getAsJsonObject("sections").getAsJsonObject("retrieval");
        assertEquals(3000, section.get("count").getAsInt());
        assertEquals(2, section.get("verified_queries").getAsInt());
        JsonObject query = report.getAsJsonArray("results").get(0).getAsJsonObject();
        assertEquals("retrieval", query.get("section").getAsString());
        assertEquals("query latency", query.get("metric").getAsString());
        assertEquals("ms", query.get("unit").getAsString());
        assertEquals(5, query.get("runs").getAsInt());
        assertTrue(query.get("min").getAsDouble() <= query.get("median").getAsDouble());
        assertTrue(query.get("median").getAsDouble() <= query.get("max").getAsDouble());

        Run list = mix("bench", "--list");
        assertEquals(0, list.code(), list.err());
        for (String name : new String[] {"machine", "vision", "llm", "unet", "retrieval"}) {
            assertTrue(list.out().lines().anyMatch(l -> l.trim().startsWith(name + " ")), name + " in " + list.out());
        }
    }

    @Test
    void exampleRetrievalPipelinesValidate() {
        Run r = mix("validate", TINY.toString(), "retrieval/clip-vit-b32.yaml");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("tiny.yaml: OK (task retrieval"), r.out());
    }
}
