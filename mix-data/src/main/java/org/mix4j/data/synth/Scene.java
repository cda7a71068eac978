package org.mix4j.data.synth;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * One synthetic picture, as drawn: its size, background and shapes. Every shape lies inside its
 * bounding circle ({@code x}, {@code y}, {@code radius} in pixels); circles of two shapes may touch
 * but never overlap, so no shape hides another. Kinds and colours are distinct within a scene, so
 * "the star" and "the red shape" each name one shape.
 *
 * @param textured a faint pattern on the background (still one colour to a viewer)
 * @param style how the shapes are drawn
 */
public record Scene(int width, int height, Colour background, boolean textured, Style style, List<Shape> shapes) {

    /** How shapes are drawn: clean anti-aliased fills, or wobbly hand-drawn-looking ones with an outline. */
    public enum Style { CLEAN, SKETCH }

    /** One shape: kind, colour, centre and bounding radius (pixels), rotation (radians). */
    public record Shape(ShapeKind kind, Colour colour, double x, double y, double radius, double rotation) {}

    public Scene {
        shapes = List.copyOf(shapes);
    }

    /** The shapes from left to right (how captions list them). */
    public List<Shape> leftToRight() {
        return shapes.stream().sorted(Comparator.comparingDouble(Shape::x)).toList();
    }

    /**
     * Whether {@code a} is clearly left of {@code b}: its centre lies left of b's by at least half the
     * smaller bounding radius. Closer than that, one shape stands above the other, and a viewer may
     * list them in either order.
     */
    public static boolean clearlyLeftOf(Shape a, Shape b) {
        return b.x() - a.x() >= 0.5 * Math.min(a.radius(), b.radius());
    }

    /**
     * Every order of the shapes a viewer could call left to right: {@link #leftToRight()} first, then
     * those that swap shapes neither of which is {@link #clearlyLeftOf clearly left of} the other.
     */
    public List<List<Shape>> leftToRightOrders() {
        List<List<Shape>> orders = new ArrayList<>();
        extend(List.of(), leftToRight(), orders);
        return orders;
    }

    private static void extend(List<Shape> placed, List<Shape> rest, List<List<Shape>> orders) {
        if (rest.isEmpty()) {
            orders.add(placed);
            return;
        }
        for (Shape next : rest) {
            if (rest.stream().noneMatch(other -> clearlyLeftOf(other, next))) { // nothing clearly left of it is still to come
                List<Shape> more = new ArrayList<>(placed);
                more.add(next);
                List<Shape> others = new ArrayList<>(rest);
                others.remove(next);
                extend(List.copyOf(more), others, orders);
            }
        }
    }

    /** The shape of {@code kind}, or {@code null}. */
    public Shape find(ShapeKind kind) {
        return shapes.stream().filter(s -> s.kind() == kind).findFirst().orElse(null);
    }

    /**
     * Where a shape is in the picture when that is clear: {@code left}, {@code right}, {@code top}
     * or {@code bottom} (the axis on which it is clearly off centre, and much more so than on the
     * other), else {@code null}.
     */
    public String where(Shape s) {
        double dx = s.x() / width - 0.5;
        double dy = s.y() / height - 0.5;
        double ax = Math.abs(dx);
        double ay = Math.abs(dy);
        if (Math.max(ax, ay) < 0.15 || Math.max(ax, ay) < 2 * Math.min(ax, ay)) {
            return null;
        }
        return ax > ay ? (dx < 0 ? "left" : "right") : (dy < 0 ? "top" : "bottom");
    }
}
