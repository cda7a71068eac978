package org.mix4j.data.synth;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Area;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.util.Random;

/**
 * Paints a {@link Scene}: the background (plain, or with a faint pattern), each shape anti-aliased
 * inside its bounding circle (clean, or with jittered hand-drawn edges and a darker outline), then
 * light Gaussian pixel noise so the pictures look like real, slightly imperfect image files.
 */
public final class SceneRenderer {

    private SceneRenderer() {}

    /** @param random the drawing's randomness (texture, jitter, noise) */
    public static BufferedImage render(Scene scene, double noise, Random random) {
        BufferedImage image = new BufferedImage(scene.width(), scene.height(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
            g.setColor(scene.background().rgb());
            g.fillRect(0, 0, scene.width(), scene.height());
            if (scene.textured()) {
                texture(g, scene, random);
            }
            for (Scene.Shape s : scene.shapes()) {
                Path2D outline = outline(s, scene.style() == Scene.Style.SKETCH ? random : null);
                g.setColor(s.colour().rgb());
                g.fill(outline);
                if (scene.style() == Scene.Style.SKETCH) {
                    g.setColor(s.colour().rgb().darker());
                    g.setStroke(new BasicStroke((float) Math.max(1.5, s.radius() / 14), BasicStroke.CAP_ROUND,
                            BasicStroke.JOIN_ROUND));
                    g.draw(outline);
                }
            }
        } finally {
            g.dispose();
        }
        if (noise > 0) {
            addNoise(image, noise, random);
        }
        return image;
    }

    /** Faint diagonal stripes, a shade lighter or darker than the background. */
    private static void texture(Graphics2D g, Scene scene, Random random) {
        Color bg = scene.background().rgb();
        int shift = bg.getRed() + bg.getGreen() + bg.getBlue() > 380 ? -10 : 12;
        g.setColor(new Color(clamp(bg.getRed() + shift), clamp(bg.getGreen() + shift), clamp(bg.getBlue() + shift)));
        int spacing = 6 + random.nextInt(10);
        g.setStroke(new BasicStroke(1.5f));
        int span = scene.width() + scene.height();
        for (int d = -scene.height(); d < span; d += spacing) {
            g.drawLine(d, 0, d + scene.height(), scene.height());
        }
    }

    /** The shape's outline inside its bounding circle; with {@code jitter}, hand-drawn-looking edges. */
    static Path2D outline(Scene.Shape s, Random jitter) {
        double r = s.radius();
        Path2D.Double p = switch (s.kind()) {
            case CIRCLE -> polygon(s, 48, i -> r, i -> 2 * Math.PI * i / 48, jitter);
            case SQUARE -> polygon(s, 4, i -> r * 0.97, i -> Math.PI / 4 + Math.PI / 2 * i, jitter);
            case TRIANGLE -> polygon(s, 3, i -> r * 0.97, i -> -Math.PI / 2 + 2 * Math.PI / 3 * i, jitter);
            case STAR -> polygon(s, 10, i -> i % 2 == 0 ? r * 0.97 : r * 0.42, i -> -Math.PI / 2 + Math.PI / 5 * i, jitter);
            case RING -> {
                Path2D.Double outer = polygon(s, 48, i -> r, i -> 2 * Math.PI * i / 48, jitter);
                Area ring = new Area(outer);
                ring.subtract(new Area(new Ellipse2D.Double(s.x() - r * 0.55, s.y() - r * 0.55, r * 1.1, r * 1.1)));
                yield new Path2D.Double(ring);
            }
        };
        return p;
    }

    private static Path2D.Double polygon(Scene.Shape s, int corners, java.util.function.IntToDoubleFunction radius,
            java.util.function.IntToDoubleFunction angle, Random jitter) {
        Path2D.Double p = new Path2D.Double();
        for (int i = 0; i < corners; i++) {
            double a = angle.applyAsDouble(i) + s.rotation();
            double rr = radius.applyAsDouble(i);
            if (jitter != null) {
                rr *= 0.94 + 0.05 * jitter.nextDouble(); // inside the bounding circle still
                a += (jitter.nextDouble() - 0.5) * 0.06;
            }
            double x = s.x() + rr * Math.cos(a);
            double y = s.y() + rr * Math.sin(a);
            if (i == 0) {
                p.moveTo(x, y);
            } else {
                p.lineTo(x, y);
            }
        }
        p.closePath();
        return p;
    }

    private static void addNoise(BufferedImage image, double sigma, Random random) {
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int rgb = image.getRGB(x, y);
                int r = clamp(((rgb >> 16) & 0xff) + (int) Math.round(random.nextGaussian() * sigma));
                int g = clamp(((rgb >> 8) & 0xff) + (int) Math.round(random.nextGaussian() * sigma));
                int b = clamp((rgb & 0xff) + (int) Math.round(random.nextGaussian() * sigma));
                image.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
    }

    private static int clamp(int v) {
        return Math.max(0, Math.min(255, v));
    }
}
