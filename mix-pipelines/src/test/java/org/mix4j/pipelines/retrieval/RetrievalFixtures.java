package org.mix4j.pipelines.retrieval;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.ImageIO;
import org.mix4j.config.JsonConfig;
import org.mix4j.encoders.EncoderTestSupport;

/** A {@code task: retrieval} YAML over the clip_full fixture, and small PNG files. */
final class RetrievalFixtures {

    private RetrievalFixtures() {}

    /** The fixture's vision tower input size, read from its config.json. */
    static int imageSize(Path checkpoint) {
        return JsonConfig.read(checkpoint.resolve("config.json")).getAsJsonObject("vision_config").get("image_size")
                .getAsInt();
    }

    /**
     * Writes {@code pipeline.yaml} into {@code dir}: the CLIP towers of {@code checkpoint}, an image
     * processor at the tower's size, and {@code extra} top-level lines.
     */
    static Path pipelineYaml(Path dir, Path checkpoint, String extra) {
        int size = imageSize(checkpoint);
        String yaml = "task: retrieval\n"
                + "checkpoint: " + checkpoint.toAbsolutePath().normalize() + "\n"
                + "image_processor: { type: hf_image_processor, size: { shortest_edge: " + size + " }, crop_size: "
                + size + " }\n"
                + "encoder: { type: clip_vision }\n"
                + "text_encoder: { type: clip_text }\n"
                + "tokenizer: { type: clip_bpe }\n"
                + extra;
        try {
            Files.createDirectories(dir);
            Path file = dir.resolve("pipeline.yaml");
            Files.writeString(file, yaml);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path clipFull() {
        return EncoderTestSupport.fixture("clip_full");
    }

    /** A PNG of random colours (each seed a different image). */
    static void writePng(Path file, int width, int height, long seed) {
        Random random = new Random(seed);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, random.nextInt(0x1000000));
            }
        }
        try {
            Files.createDirectories(file.getParent());
            if (!ImageIO.write(image, "png", file.toFile())) {
                throw new IOException("no PNG writer");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
