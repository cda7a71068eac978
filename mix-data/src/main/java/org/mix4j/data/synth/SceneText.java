package org.mix4j.data.synth;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * What a scene says in words, in English or Chinese: a caption listing the shapes left to right
 * with the background, and short question-answer pairs whose answers follow from the scene alone
 * (the colour of a shape, which shapes, how many, where one is when that is clear, yes/no about a
 * coloured shape, the background's colour). Answers are short and exact, so a model's answer can be
 * checked by string comparison.
 */
public final class SceneText {

    /**
     * A question, its answer and any other answers as right ({@code alsoRight}: the shapes listed in
     * another order a viewer could call left to right); {@code kind} groups them for accuracy reports.
     */
    public record Qa(String kind, String question, String answer, List<String> alsoRight) {
        public Qa {
            alsoRight = List.copyOf(alsoRight);
        }

        /** A question with one right answer. */
        public Qa(String kind, String question, String answer) {
            this(kind, question, answer, List.of());
        }
    }

    private static final String[] COUNT_EN = {"zero", "one", "two", "three"};
    private static final String[] COUNT_ZH = {"零", "一", "两", "三"};
    private static final String[] WHERE = {"left", "right", "top", "bottom"};
    private static final String[] WHERE_ZH = {"左边", "右边", "上边", "下边"};

    private SceneText() {}

    /** "a red circle and a blue square on a white background" / "白色背景上有一个红色圆形和一个蓝色正方形". */
    public static String caption(Scene scene, String language) {
        return captions(scene, language).get(0);
    }

    /**
     * The caption with the shapes in each order a viewer could call left to right
     * ({@link Scene#leftToRightOrders()}), {@link #caption} first.
     */
    public static List<String> captions(Scene scene, String language) {
        String background = scene.background().english();
        return scene.leftToRightOrders().stream().map(order -> language.equals("zh")
                ? scene.background().chinese() + "背景上有" + list(order, "zh")
                : list(order, "en") + " on " + article(background) + " " + background + " background").toList();
    }

    /** The shapes, left to right: "a red circle, a blue square and a green star" / "一个红色圆形、一个蓝色正方形和一个绿色星形". */
    public static String shapes(Scene scene, String language) {
        return list(scene.leftToRight(), language);
    }

    private static String list(List<Scene.Shape> shapes, String language) {
        List<String> parts = new ArrayList<>();
        for (Scene.Shape s : shapes) {
            parts.add(language.equals("zh") ? "一个" + s.colour().chinese() + s.kind().chinese()
                    : article(s.colour().english()) + " " + s.colour().english() + " " + s.kind().english());
        }
        String and = language.equals("zh") ? "和" : " and ";
        String comma = language.equals("zh") ? "、" : ", ";
        if (parts.size() == 1) {
            return parts.get(0);
        }
        return String.join(comma, parts.subList(0, parts.size() - 1)) + and + parts.get(parts.size() - 1);
    }

    /**
     * The question-answer pairs of a scene: a colour question per shape, which shapes (left to right;
     * where two stand one above the other, the other order is right too), how many, where (per shape
     * whose place is clear), one yes and one no question, the background.
     *
     * @param random picks the shape the yes/no questions are about
     */
    public static List<Qa> questions(Scene scene, String language, Random random) {
        boolean zh = language.equals("zh");
        List<Qa> out = new ArrayList<>();
        for (Scene.Shape s : scene.leftToRight()) {
            out.add(zh ? new Qa("colour", s.kind().chinese() + "是什么颜色？", s.colour().chinese())
                    : new Qa("colour", "What colour is the " + s.kind().english() + "?", s.colour().english()));
        }
        List<String> lists = scene.leftToRightOrders().stream().map(order -> list(order, language)).toList();
        out.add(new Qa("shapes", zh ? "图中有哪些形状？" : "Which shapes are in the picture?", lists.get(0),
                lists.subList(1, lists.size())));
        int n = scene.shapes().size();
        out.add(zh ? new Qa("count", "图中有几个形状？", COUNT_ZH[n] + "个")
                : new Qa("count", "How many shapes are there?", COUNT_EN[n]));
        for (Scene.Shape s : scene.leftToRight()) {
            String where = scene.where(s);
            if (where != null) {
                int w = java.util.Arrays.asList(WHERE).indexOf(where);
                out.add(zh ? new Qa("where", s.colour().chinese() + s.kind().chinese() + "在哪里？", WHERE_ZH[w])
                        : new Qa("where", "Where is the " + s.colour().english() + " " + s.kind().english() + "?", where));
            }
        }
        Scene.Shape present = scene.shapes().get(random.nextInt(n));
        out.add(yesNo(present.colour(), present.kind(), true, zh));
        Colour colour;
        ShapeKind kind;
        do { // an absent combination: half the time the present shape in another colour
            kind = random.nextBoolean() ? present.kind() : ShapeKind.values()[random.nextInt(ShapeKind.values().length)];
            colour = Colour.values()[random.nextInt(Colour.values().length)];
        } while (colour == scene.background() || has(scene, colour, kind));
        out.add(yesNo(colour, kind, false, zh));
        out.add(zh ? new Qa("background", "背景是什么颜色？", scene.background().chinese())
                : new Qa("background", "What colour is the background?", scene.background().english()));
        return out;
    }

    private static String article(String word) {
        return "aeiou".indexOf(word.charAt(0)) >= 0 ? "an" : "a";
    }

    private static boolean has(Scene scene, Colour colour, ShapeKind kind) {
        return scene.shapes().stream().anyMatch(s -> s.colour() == colour && s.kind() == kind);
    }

    private static Qa yesNo(Colour colour, ShapeKind kind, boolean yes, boolean zh) {
        return zh ? new Qa("yes_no", "图中有" + colour.chinese() + kind.chinese() + "吗？", yes ? "有" : "没有")
                : new Qa("yes_no", "Is there " + article(colour.english()) + " " + colour.english() + " " + kind.english() + "?",
                        yes ? "yes" : "no");
    }
}
