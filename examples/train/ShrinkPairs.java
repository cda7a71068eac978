import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.mix4j.api.RgbImage;
import org.mix4j.image.ImageDecoder;
import org.mix4j.image.Resample;
import org.mix4j.image.Resampler;

/**
 * Shrinks the pictures of image-caption files to SIZE x SIZE PNGs with the bicubic resize of the
 * tiny CLIP's image processor (preprocessor_config.json: size {height, width} = SIZE, resample 3, no
 * crop), so training reads small files and sees exactly the pixels it would have computed from the
 * originals (the processor's SIZE -> SIZE resize is a copy). Pictures are decoded and resized once
 * (on all cores) instead of once per epoch: training examples/train/tiny-clip-shapes.yaml ran several times faster.
 *
 *   java -cp "mix-cli/target/classes:$(cat mix-cli/target/classpath.txt)" examples/train/ShrinkPairs.java \
 *       64 runs/shapes-train runs/shapes-train-64 captions.jsonl captions-zh.jsonl
 *
 * writes OUT/images/NAME.png and OUT/FILE for each FILE, its "image" paths pointing at the PNGs.
 */
public class ShrinkPairs {
    public static void main(String[] args) throws Exception {
        int size = Integer.parseInt(args[0]);
        Path in = Path.of(args[1]);
        Path out = Path.of(args[2]);
        Files.createDirectories(out.resolve("images"));
        Pattern image = Pattern.compile("\"image\":\\s*\"([^\"]+)\"");
        // every picture named in the files, once, shrunk on all cores; then the files rewritten
        Set<String> names = new LinkedHashSet<>(); // original relative paths
        List<List<String>> files = new ArrayList<>();
        List<List<Matcher>> found = new ArrayList<>();
        for (int f = 3; f < args.length; f++) {
            List<String> lines = Files.readAllLines(in.resolve(args[f]));
            List<Matcher> matches = new ArrayList<>();
            for (String line : lines) {
                Matcher m = image.matcher(line);
                if (!m.find()) {
                    throw new IllegalArgumentException(args[f] + ": no \"image\" in " + line);
                }
                names.add(m.group(1));
                matches.add(m);
            }
            files.add(lines);
            found.add(matches);
        }
        Map<String, String> shrunk = new ConcurrentHashMap<>(); // original -> shrunk path
        names.parallelStream().forEach(n -> shrunk.put(n, shrink(in.resolve(n), out, n, size)));
        for (int f = 3; f < args.length; f++) {
            List<String> lines = new ArrayList<>();
            for (int i = 0; i < files.get(f - 3).size(); i++) {
                String line = files.get(f - 3).get(i);
                Matcher m = found.get(f - 3).get(i);
                lines.add(line.substring(0, m.start(1)) + shrunk.get(m.group(1)) + line.substring(m.end(1)));
            }
            Files.write(out.resolve(args[f]), lines);
        }
        System.out.println(names.size() + " pictures -> " + out.resolve("images") + " (" + size + "x" + size + ")");
    }

    static String shrink(Path file, Path out, String name, int size) {
        RgbImage small = Resampler.resize(ImageDecoder.readRgb(file), size, size, Resample.BICUBIC);
        BufferedImage b = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                b.setRGB(x, y, (small.get(x, y, 0) << 16) | (small.get(x, y, 1) << 8) | small.get(x, y, 2));
            }
        }
        String base = Path.of(name).getFileName().toString().replaceFirst("\\.[^.]+$", "") + ".png";
        try {
            ImageIO.write(b, "png", out.resolve("images").resolve(base).toFile());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return "images/" + base;
    }
}
