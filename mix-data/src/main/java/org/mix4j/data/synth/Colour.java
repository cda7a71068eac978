package org.mix4j.data.synth;

import java.awt.Color;

/** The named colours of the synthetic scenes, with their English and Chinese names. */
public enum Colour {
    RED("red", "红色", new Color(220, 30, 30)),
    GREEN("green", "绿色", new Color(30, 160, 50)),
    BLUE("blue", "蓝色", new Color(30, 70, 220)),
    YELLOW("yellow", "黄色", new Color(245, 210, 20)),
    ORANGE("orange", "橙色", new Color(245, 130, 20)),
    PURPLE("purple", "紫色", new Color(140, 50, 170)),
    BLACK("black", "黑色", new Color(20, 20, 20)),
    WHITE("white", "白色", new Color(245, 245, 245));

    private final String english;
    private final String chinese;
    private final Color rgb;

    Colour(String english, String chinese, Color rgb) {
        this.english = english;
        this.chinese = chinese;
        this.rgb = rgb;
    }

    public String english() {
        return english;
    }

    public String chinese() {
        return chinese;
    }

    public Color rgb() {
        return rgb;
    }

    /** The colour nearest {@code (r, g, b)} (0-255 each) in RGB distance: how a pixel is named. */
    public static Colour nearest(int r, int g, int b) {
        Colour best = null;
        long bestDistance = Long.MAX_VALUE;
        for (Colour c : values()) {
            long dr = r - c.rgb.getRed();
            long dg = g - c.rgb.getGreen();
            long db = b - c.rgb.getBlue();
            long distance = dr * dr + dg * dg + db * db;
            if (distance < bestDistance) {
                best = c;
                bestDistance = distance;
            }
        }
        return best;
    }

    /** The colour whose English name is {@code name}, or {@code null}. */
    public static Colour named(String name) {
        for (Colour c : values()) {
            if (c.english.equals(name)) {
                return c;
            }
        }
        return null;
    }
}
