package org.mix4j.data.filter;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mix4j.data.records.Sample;

/**
 * The rules that read a sample's text. The measuring ones read the answers ({@link Sample#answerText()});
 * the rewriting ones ({@link Strip}, {@link MaskWords}, {@link MaskPersonal}) change messages and
 * never drop; the {@code <image>} placeholders are left where they are.
 */
public final class TextRules {

    private TextRules() {}

    /** Drops a sample whose answers are shorter than {@code min} or longer than {@code max} characters (code points). */
    public record Length(Integer min, Integer max) implements Rule {
        @Override
        public String name() {
            return "text_length";
        }

        @Override
        public Verdict apply(Sample sample, SampleImages images) {
            String text = sample.answerText();
            int n = text.codePointCount(0, text.length());
            if (min != null && n < min) {
                return Verdict.drop("text " + n + " characters < " + min);
            }
            if (max != null && n > max) {
                return Verdict.drop("text " + n + " characters > " + max);
            }
            return Verdict.keep(sample);
        }
    }

    /**
     * Drops a sample whose share of CJK characters among its answers' letters (Han, kana, Hangul against
     * every other letter, Latin mostly) is outside {@code [min, max]}; a text without letters has share 0.
     */
    public record CjkRatio(Double min, Double max) implements Rule {
        @Override
        public String name() {
            return "cjk_ratio";
        }

        @Override
        public Verdict apply(Sample sample, SampleImages images) {
            double r = ratio(sample.answerText());
            if (min != null && r < min || max != null && r > max) {
                return Verdict.drop(String.format(Locale.ROOT, "CJK share %.2f outside [%s, %s]", r,
                        min == null ? 0 : min, max == null ? 1 : max));
            }
            return Verdict.keep(sample);
        }

        static double ratio(String text) {
            long letters = text.codePoints().filter(Character::isLetter).count();
            long cjk = text.codePoints().filter(c -> Character.isLetter(c) && isCjk(c)).count();
            return letters == 0 ? 0 : (double) cjk / letters;
        }

        private static boolean isCjk(int c) {
            Character.UnicodeScript s = Character.UnicodeScript.of(c);
            return s == Character.UnicodeScript.HAN || s == Character.UnicodeScript.HIRAGANA
                    || s == Character.UnicodeScript.KATAKANA || s == Character.UnicodeScript.HANGUL;
        }
    }

    /** Removes URLs and boilerplate phrases (matched ignoring case), then the spaces they leave doubled. */
    public static final class Strip implements Rule {
        private static final Pattern URL = Pattern.compile("\\b(?:https?://|www\\.)[^\\s<>\"]*[^\\s<>\".,;:!?)\\]}'\"]",
                Pattern.CASE_INSENSITIVE);
        private final boolean urls;
        private final Pattern phrases;

        public Strip(boolean urls, List<String> boilerplate) {
            this.urls = urls;
            this.phrases = boilerplate.isEmpty() ? null : alternation(boilerplate, false);
        }

        @Override
        public String name() {
            return "strip";
        }

        @Override
        public Verdict apply(Sample sample, SampleImages images) {
            return rewrite(sample, text -> {
                String t = urls && mayHoldUrl(text) ? URL.matcher(text).replaceAll("") : text;
                t = phrases == null ? t : phrases.matcher(t).replaceAll("");
                return t.equals(text) ? text : t.replaceAll("[ \\t]{2,}", " ").replaceAll("(?m)[ \\t]+$|^[ \\t]+", "");
            });
        }
    }

    private static boolean mayHoldUrl(String text) {
        return text.contains("://") || text.regionMatches(true, 0, "www.", 0, 4) || text.toLowerCase(Locale.ROOT)
                .contains("www.");
    }

    /** Masks every word of a list (ignoring case; whole words for Latin ones) with one {@code *} a character. */
    public static final class MaskWords implements Rule {
        private final Pattern words;

        /** @param words one a line; blank lines and {@code #} comments are left out */
        public MaskWords(List<String> words) {
            List<String> kept = words.stream().map(String::strip).filter(w -> !w.isEmpty() && !w.startsWith("#")).toList();
            this.words = kept.isEmpty() ? null : alternation(kept, true);
        }

        @Override
        public String name() {
            return "mask_words";
        }

        @Override
        public Verdict apply(Sample sample, SampleImages images) {
            if (words == null) {
                return Verdict.keep(sample);
            }
            return rewrite(sample, text -> replace(words.matcher(text),
                    m -> "*".repeat(m.group().codePointCount(0, m.group().length()))));
        }
    }

    /** Masks e-mail addresses, Chinese resident ID numbers (checksum valid) and phone numbers. */
    public record MaskPersonal() implements Rule {
        static final Pattern EMAIL = Pattern.compile("[\\w.+-]+@[\\w-]+(?:\\.[\\w-]+)*\\.[A-Za-z]{2,}");
        static final Pattern ID_NUMBER = Pattern.compile("(?<![0-9A-Za-z])[1-9]\\d{16}[0-9Xx](?![0-9A-Za-z])");
        static final Pattern PHONE = Pattern.compile("(?<![\\d\\w])(?:"
                + "(?:\\+?86[ -]?)?1[3-9]\\d(?:[ -]?\\d{4}){2}"            // mainland mobile
                + "|\\+\\d{1,3}[ -]?(?:\\(\\d{1,4}\\)[ -]?)?\\d{2,4}(?:[ -]?\\d{2,4}){1,3}" // international
                + "|\\(?0\\d{2,3}\\)?[ -]?\\d{7,8}"                           // mainland landline
                + "|\\(?\\d{3}\\)?[ .-]\\d{3}[ .-]\\d{4}"                     // North American
                + ")(?![\\d\\w])");

        @Override
        public String name() {
            return "mask_personal";
        }

        @Override
        public Verdict apply(Sample sample, SampleImages images) {
            return rewrite(sample, text -> {
                String t = text.indexOf('@') >= 0 ? EMAIL.matcher(text).replaceAll("[EMAIL]") : text;
                if (t.chars().noneMatch(Character::isDigit)) { // the common case: no number to look at
                    return t;
                }
                t = replace(ID_NUMBER.matcher(t), m -> validId(m.group()) ? "[ID_NUMBER]" : m.group());
                return PHONE.matcher(t).replaceAll("[PHONE]");
            });
        }

        /** GB 11643: the 18th character is the checksum of the first 17 digits. */
        static boolean validId(String id) {
            int[] weights = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
            int sum = 0;
            for (int i = 0; i < 17; i++) {
                sum += (id.charAt(i) - '0') * weights[i];
            }
            return "10X98765432".charAt(sum % 11) == Character.toUpperCase(id.charAt(17));
        }
    }

    /** One pattern matching any of {@code words} literally (longest first), ignoring case. */
    static Pattern alternation(List<String> words, boolean wholeLatinWords) {
        List<String> sorted = new ArrayList<>(words);
        sorted.sort(Comparator.comparingInt(String::length).reversed());
        List<String> parts = new ArrayList<>();
        for (String w : sorted) {
            String q = Pattern.quote(w);
            boolean latin = wholeLatinWords && w.chars().allMatch(c -> c < 128);
            parts.add(latin ? "(?<![\\p{L}\\p{N}])" + q + "(?![\\p{L}\\p{N}])" : q);
        }
        return Pattern.compile(String.join("|", parts), Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
    }

    static String replace(Matcher m, java.util.function.Function<java.util.regex.MatchResult, String> with) {
        return m.replaceAll(r -> Matcher.quoteReplacement(with.apply(r)));
    }

    /** {@code sample} with {@code edit} applied to each message's text between its placeholders. */
    static Rule.Verdict rewrite(Sample sample, UnaryOperator<String> edit) {
        List<Sample.Turn> turns = new ArrayList<>();
        boolean changed = false;
        for (Sample.Turn t : sample.turns()) {
            String[] pieces = t.text().split(Pattern.quote(Sample.IMAGE), -1);
            for (int i = 0; i < pieces.length; i++) {
                pieces[i] = edit.apply(pieces[i]);
            }
            String text = String.join(Sample.IMAGE, pieces);
            changed |= !text.equals(t.text());
            turns.add(t.withText(text));
        }
        return Rule.Verdict.keep(changed ? sample.withTurns(turns) : sample);
    }
}
