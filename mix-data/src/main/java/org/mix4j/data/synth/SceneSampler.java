package org.mix4j.data.synth;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Draws scene descriptions at random: scene {@code i} of seed {@code s} depends only on
 * {@code (s, i)}, so a larger set starts with the smaller one and a test can make fresh scenes with
 * a new seed. Sizes and aspect ratios vary (at most 2:1), shapes get distinct kinds and colours,
 * the background a colour none of them has, and shapes are placed until their bounding circles are
 * apart (touching is allowed).
 */
public final class SceneSampler {

    private final long seed;
    private final SynthOptions options;

    public SceneSampler(long seed, SynthOptions options) {
        this.seed = seed;
        this.options = options;
    }

    /** A random source for scene {@code index}: also the one its picture's noise and drawing use. */
    Random random(long index) {
        return new Random(seed * 0x9E3779B97F4A7C15L + index * 0xBF58476D1CE4E5B9L + 0x94D049BB133111EBL);
    }

    public Scene scene(long index) {
        Random r = random(index);
        for (;;) { // a rare crowded draw is redrawn
            Scene s = tryScene(r);
            if (s != null) {
                return s;
            }
        }
    }

    private Scene tryScene(Random r) {
        int w = between(r, options.minSize(), options.maxSize());
        int h = between(r, Math.max(options.minSize(), (w + 1) / 2), Math.min(options.maxSize(), 2 * w));
        int n = 1 + r.nextInt(options.maxShapes());
        List<ShapeKind> kinds = shuffled(r, ShapeKind.values()).subList(0, n);
        List<Colour> colours = shuffled(r, Colour.values());
        List<Colour> shapeColours = colours.subList(0, n);
        Colour background = colours.get(n); // a colour no shape has
        int side = Math.min(w, h);
        double maxRadius = side * (n == 1 ? 0.38 : n == 2 ? 0.26 : 0.21);
        double minRadius = Math.max(6, side * 0.12);
        List<Scene.Shape> shapes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Scene.Shape placed = null;
            for (int attempt = 0; attempt < 200 && placed == null; attempt++) {
                double radius = minRadius + r.nextDouble() * Math.max(0, maxRadius - minRadius);
                double margin = radius + 1;
                double x = margin + r.nextDouble() * (w - 2 * margin);
                double y = margin + r.nextDouble() * (h - 2 * margin);
                boolean free = shapes.stream().allMatch(o -> Math.hypot(o.x() - x, o.y() - y) >= o.radius() + radius);
                if (free) {
                    // at the default 15 degrees the same value, bit for bit, as before the option existed
                    double rotation = (r.nextDouble() - 0.5) * Math.PI / 6 * (options.tilt() / SynthOptions.DEFAULT_TILT);
                    placed = new Scene.Shape(kinds.get(i), shapeColours.get(i), x, y, radius, rotation);
                }
            }
            if (placed == null) {
                return null;
            }
            shapes.add(placed);
        }
        boolean textured = r.nextDouble() < options.textured();
        Scene.Style style = r.nextDouble() < options.sketch() ? Scene.Style.SKETCH : Scene.Style.CLEAN;
        return new Scene(w, h, background, textured, style, shapes);
    }

    private static int between(Random r, int lo, int hi) {
        return hi <= lo ? lo : lo + r.nextInt(hi - lo + 1);
    }

    private static <T> List<T> shuffled(Random r, T[] values) {
        List<T> list = new ArrayList<>(Arrays.asList(values));
        java.util.Collections.shuffle(list, r);
        return list;
    }
}
