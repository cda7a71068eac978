package org.mix4j.training;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hard negatives by attribute substitution (as NegCLIP and ARO teach word order and attributes): a
 * caption with one attribute word replaced by another word of its group ("a big red sun" -> "a big
 * blue sun"), so the image must tell its caption from one that differs in a single detail. Words
 * match whole and case-insensitively; the replacement keeps a leading capital. Chinese is written
 * without spaces, so a Han character next to a word does not end the match ("白色背景上有一个红色圆形":
 * 红色 and 圆形 are found); letters and digits of other scripts do ("reddish" holds no "red").
 */
final class HardNegatives {

    private final List<List<String>> groups;
    private final int perSample;
    private final Pattern words;

    /** @param groups interchangeable words; @param perSample altered captions per caption, at most */
    HardNegatives(List<List<String>> groups, int perSample) {
        this.groups = groups.stream().map(g -> g.stream().map(w -> w.toLowerCase(Locale.ROOT)).toList()).toList();
        this.perSample = perSample;
        List<String> all = new ArrayList<>();
        this.groups.forEach(g -> g.forEach(w -> all.add(Pattern.quote(w))));
        String wordChar = "[\\p{L}\\p{N}&&[^\\p{IsHan}]]";
        this.words = Pattern.compile("(?<!" + wordChar + ")(?:" + String.join("|", all) + ")(?!" + wordChar + ")",
                Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
    }

    /**
     * The altered captions of one micro-batch, in caption order: up to {@code per_sample} distinct
     * ones per caption (none for a caption without an attribute word), leaving out any that equals a
     * caption of the micro-batch (that one is already a candidate). {@code random} decides which word
     * and which replacement, so the same seed gives the same negatives.
     */
    List<String> of(List<String> captions, Random random) {
        Set<String> out = new LinkedHashSet<>();
        for (String caption : captions) {
            List<int[]> spots = new ArrayList<>(); // {start, end, group}
            Matcher m = words.matcher(caption);
            while (m.find()) {
                spots.add(new int[] {m.start(), m.end(), groupOf(m.group())});
            }
            int possible = spots.stream().mapToInt(s -> groups.get(s[2]).size() - 1).sum();
            Set<String> made = new LinkedHashSet<>();
            for (int tries = 0; made.size() < Math.min(perSample, possible) && tries < 100 * perSample; tries++) {
                made.add(substitute(caption, spots.get(random.nextInt(spots.size())), random));
            }
            made.removeAll(captions);
            out.addAll(made);
        }
        return List.copyOf(out);
    }

    private String substitute(String caption, int[] spot, Random random) {
        List<String> group = groups.get(spot[2]);
        String word = caption.substring(spot[0], spot[1]);
        int own = group.indexOf(word.toLowerCase(Locale.ROOT));
        int pick = random.nextInt(group.size() - 1);
        String other = group.get(pick >= own ? pick + 1 : pick);
        if (Character.isUpperCase(word.charAt(0))) {
            other = Character.toUpperCase(other.charAt(0)) + other.substring(1);
        }
        return caption.substring(0, spot[0]) + other + caption.substring(spot[1]);
    }

    private int groupOf(String word) {
        String lower = word.toLowerCase(Locale.ROOT);
        for (int g = 0; g < groups.size(); g++) {
            if (groups.get(g).contains(lower)) {
                return g;
            }
        }
        throw new IllegalStateException(word);
    }
}
