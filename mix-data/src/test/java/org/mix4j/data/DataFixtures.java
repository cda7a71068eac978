package org.mix4j.data;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.mix4j.data.records.Sample;

/** Crafted samples and pictures for the data tools' tests. */
public final class DataFixtures {

    private DataFixtures() {}

    /** A caption pair (prompt "Describe.") in {@code dir}, its id the caption's hash. */
    public static Sample pair(Path dir, String image, String caption) {
        List<String> images = image == null ? List.of() : List.of(image);
        return new Sample("d.jsonl:1", dir.toString(), images, List.of(new Sample.Turn("user", "<image>\nDescribe.", "{}"),
                new Sample.Turn("assistant", caption, "{}")), "{\"id\": \"" + caption.hashCode() + "\"}");
    }

    public static Path png(Path file, BufferedImage image) {
        try {
            Files.createDirectories(file.getParent());
            ImageIO.write(image, "png", file.toFile());
            return file;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A smooth random field (a few seeded waves): a picture whose hash survives resizing and JPEG. */
    public static BufferedImage picture(int w, int h, int variant) {
        Random r = new Random(variant);
        double[][] waves = new double[6][4];
        for (double[] wave : waves) {
            wave[0] = r.nextDouble() * 4;
            wave[1] = r.nextDouble() * 4;
            wave[2] = r.nextDouble() * 6.3;
            wave[3] = 0.5 + r.nextDouble();
        }
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double v = 0;
                for (double[] wave : waves) {
                    v += wave[3] * Math.sin(wave[0] * Math.PI * x / w + wave[1] * Math.PI * y / h + wave[2]);
                }
                int g = (int) Math.max(0, Math.min(255, 128 + 30 * v));
                img.setRGB(x, y, new Color(g, (g + 60) % 256 > g ? g : 255 - g, 255 - g).getRGB());
            }
        }
        return img;
    }
}
