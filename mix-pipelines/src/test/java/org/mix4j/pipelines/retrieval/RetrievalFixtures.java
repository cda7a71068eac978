package org.mix4j.pipelines.retrieval;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import javax.imageio.ImageIO;
import org.mix4j.config.JsonConfig;
import org.mix4j.encoders.EncoderTestSupport;

/** A {@code task: retrieval} YAML over the clip_full fixture, and small PNG files. */
public final class RetrievalFixtures {

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
    public static void writePng(Path file, int width, int height, long seed) {
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

    /**
     * A black 8-bit grayscale PNG of {@code width x height} written chunk by chunk, without holding
     * the pixels: an 80,000,000 x 1 image is a file of about 80 KB.
     */
    public static void writeBlankPng(Path file, int width, int height) {
        try {
            ByteArrayOutputStream pixels = new ByteArrayOutputStream();
            try (DeflaterOutputStream z = new DeflaterOutputStream(pixels, new Deflater(9))) {
                byte[] zeros = new byte[1 << 16];
                for (int y = 0; y < height; y++) {
                    z.write(0); // filter type None
                    for (long left = width; left > 0; left -= zeros.length) {
                        z.write(zeros, 0, (int) Math.min(zeros.length, left));
                    }
                }
            }
            ByteArrayOutputStream header = new ByteArrayOutputStream();
            DataOutputStream h = new DataOutputStream(header);
            h.writeInt(width);
            h.writeInt(height);
            h.write(new byte[] {8, 0, 0, 0, 0}); // bit depth 8, grayscale, deflate, no filter method, no interlace
            ByteArrayOutputStream png = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(png);
            out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
            chunk(out, "IHDR", header.toByteArray());
            chunk(out, "IDAT", pixels.toByteArray());
            chunk(out, "IEND", new byte[0]);
            Files.createDirectories(file.getParent());
            Files.write(file, png.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void chunk(DataOutputStream out, String type, byte[] data) throws IOException {
        byte[] name = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(name);
        crc.update(data);
        out.writeInt(data.length);
        out.write(name);
        out.write(data);
        out.writeInt((int) crc.getValue());
    }
}
