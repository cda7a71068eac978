package org.mix4j.data.synth;

/** The flat shapes of the synthetic scenes, with their English and Chinese names. */
public enum ShapeKind {
    CIRCLE("circle", "圆形"),
    SQUARE("square", "正方形"),
    TRIANGLE("triangle", "三角形"),
    STAR("star", "星形"),
    RING("ring", "圆环");

    private final String english;
    private final String chinese;

    ShapeKind(String english, String chinese) {
        this.english = english;
        this.chinese = chinese;
    }

    public String english() {
        return english;
    }

    public String chinese() {
        return chinese;
    }

    /** The shape whose English name is {@code name}, or {@code null}. */
    public static ShapeKind named(String name) {
        for (ShapeKind s : values()) {
            if (s.english.equals(name)) {
                return s;
            }
        }
        return null;
    }
}
