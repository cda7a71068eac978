package org.mix4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.stream.ImageInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.cli.Mix;
import org.w3c.dom.Node;

/** {@code mix generate -o}: the extension picks the format, a directory gets named files, PNGs carry parameters. */
class GenerateOutputTest {

    private static final String EXAMPLE = "generation/tiny-sd.yaml";

    private record Run(int code, String out, String err) {}

    private static Run mix(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Mix.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void jpgExtensionWritesJpegBytes(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("out.jpg");
        Run r = mix("generate", EXAMPLE, "--prompt", "x", "--steps", "2", "-o", out.toString());
        assertEquals(0, r.code(), r.err());
        byte[] bytes = Files.readAllBytes(out);
        assertEquals((byte) 0xFF, bytes[0]);
        assertEquals((byte) 0xD8, bytes[1]);
        assertEquals(16, ImageIO.read(out.toFile()).getWidth());
    }

    @Test
    void pngCarriesTheGenerationParametersAsA1111Does(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("cat.png");
        Run r = mix("generate", EXAMPLE, "--prompt", "a photo of a cat", "--negative", "blurry", "--steps", "3",
                "--guidance", "6.5", "--seed", "7", "-o", out.toString());
        assertEquals(0, r.code(), r.err());
        String parameters = pngText(out, "parameters");
        assertNotNull(parameters, "no parameters chunk");
        assertEquals("a photo of a cat\nNegative prompt: blurry\nSteps: 3, Sampler: ddim, CFG scale: 6.5, Seed: 7, "
                + "Size: 16x16, Model: sd_pipeline", parameters);
    }

    @Test
    void outputDirectoryGetsNumberedFilesWithTheirSeeds(@TempDir Path dir) throws IOException {
        Path outputs = Files.createDirectory(dir.resolve("outputs"));
        Run r = mix("generate", EXAMPLE, "--prompt", "x", "--steps", "2", "--seed", "3", "--num-images", "2",
                "-o", outputs.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of("00000-3.png", "00001-4.png"), names(outputs));
        assertEquals(0, mix("generate", EXAMPLE, "--prompt", "x", "--steps", "2", "-o", outputs.toString()).code());
        assertEquals(List.of("00000-3.png", "00001-4.png", "00002-42.png"), names(outputs), "no file overwritten");
        assertTrue(pngText(outputs.resolve("00001-4.png"), "parameters").contains("Seed: 4,"));
    }

    @Test
    void refusesAnExtensionImageIoCannotWriteNamingTheFlagAndTheFormats(@TempDir Path dir) {
        Run r = mix("generate", EXAMPLE, "--prompt", "x", "--steps", "2", "-o", dir.resolve("out.xyz").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("-o ") && r.err().contains(".xyz") && r.err().contains("png")
                && r.err().contains("jpg"), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
        assertFalse(Files.exists(dir.resolve("out.xyz")));
    }

    @Test
    void runStatsReportPeakResidentMemory(@TempDir Path dir) {
        Run r = mix("run", EXAMPLE, "--prompt", "x", "--steps", "1", "--stats", "-o", dir.resolve("s.png").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().matches("(?s).*\\[peak resident memory \\d+\\.\\d\\d GiB\\].*"), r.err());
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }

    /** A tEXt or iTXt value of a PNG, read back through ImageIO's PNG metadata tree. */
    private static String pngText(Path png, String keyword) throws IOException {
        try (ImageInputStream in = ImageIO.createImageInputStream(png.toFile())) {
            ImageReader reader = ImageIO.getImageReaders(in).next();
            reader.setInput(in);
            IIOMetadata metadata = reader.getImageMetadata(0);
            Node root = metadata.getAsTree("javax_imageio_png_1.0");
            for (Node chunk = root.getFirstChild(); chunk != null; chunk = chunk.getNextSibling()) {
                for (Node e = chunk.getFirstChild(); e != null; e = e.getNextSibling()) {
                    Node key = e.getAttributes().getNamedItem("keyword");
                    if (key != null && key.getNodeValue().equals(keyword)) {
                        String attr = e.getNodeName().equals("iTXtEntry") ? "text" : "value";
                        return e.getAttributes().getNamedItem(attr).getNodeValue();
                    }
                }
            }
            return null;
        }
    }
}
