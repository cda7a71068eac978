package org.mix4j.spark;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.ImageIO;
import org.apache.spark.sql.SparkSession;
import org.mix4j.MixRuntime;
import org.mix4j.registry.MixSettings;

/** One local[2] Spark session for every test of this JVM, the repository's paths, and small PNGs. */
final class LocalSpark {

    static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    /** Threads of the job's pipelines and of the CLI-path pipelines they are compared with. */
    static final int THREADS = 1;

    private static SparkSession session;
    private static MixRuntime runtime;

    private LocalSpark() {}

    static synchronized SparkSession session() {
        if (session == null) {
            session = SparkSession.builder().master("local[2]").appName("mix-spark tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.sql.shuffle.partitions", "2")
                    .getOrCreate();
        }
        return session;
    }

    /** The runtime the CLI code path loads its pipelines with, as {@code mix} starts it. */
    static synchronized MixRuntime runtime() {
        if (runtime == null) {
            EngineDefaults.apply();
            runtime = MixRuntime.start(new MixSettings(java.util.List.of(), THREADS));
        }
        return runtime;
    }

    static JobOptions.Builder job(String pipeline, Path input, Path output) {
        return JobOptions.builder(ROOT.resolve(pipeline).toString(), input.toString(), output.toString())
                .threads(THREADS);
    }

    /** A PNG of random colours (each seed a different image). */
    static void writePng(Path file, int width, int height, long seed) {
        Random random = new Random(seed);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        try {
            Files.createDirectories(file.getParent());
            ImageIO.write(image, "png", file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
