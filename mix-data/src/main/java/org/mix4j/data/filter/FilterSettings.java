package org.mix4j.data.filter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.config.OptionalKey;

/**
 * The rules of {@code mix data filter}, from a YAML rules file and/or flags (same keys, snake_case
 * in YAML: {@code min_side: 64}); an absent key leaves its rule out. They run in this order,
 * cheapest first and rewrites before the checks that read text: strip, mask_words, mask_personal,
 * text_length, cjk_ratio, dedup, decodable, min_side, max_aspect, near_duplicate, clip_score.
 *
 * @param stripUrls remove {@code http(s)://} and {@code www.} URLs from the text
 * @param boilerplate phrases to remove from the text
 * @param boilerplateFile a file of such phrases, one a line
 * @param maskWords a word list file (one a line, {@code #} comments): each occurrence becomes {@code *}s
 * @param maskPersonal mask e-mails, phone numbers and Chinese ID numbers
 * @param minChars drop samples whose answers are shorter than this (code points; a caption pair: its caption)
 * @param maxChars drop samples whose answers are longer than this
 * @param minCjkRatio drop answers whose CJK share of letters is below this
 * @param maxCjkRatio drop answers whose CJK share of letters is above this
 * @param dedup drop repeated (image, text) pairs
 * @param decodable drop samples with a missing or undecodable image
 * @param minSide drop images whose shorter side is under this many pixels
 * @param maxAspect drop images with long side / short side above this
 * @param nearDuplicate drop images within this many bits (of 64, perceptual hash) of an earlier kept one
 * @param clipPipeline a {@code task: retrieval} pipeline YAML for the CLIP score
 * @param minClipScore drop pairs whose CLIP score is under this (default 0.3 with a pipeline)
 */
public record FilterSettings(
        @OptionalKey Boolean stripUrls,
        @OptionalKey List<String> boilerplate,
        @OptionalKey Path boilerplateFile,
        @OptionalKey Path maskWords,
        @OptionalKey Boolean maskPersonal,
        @OptionalKey Integer minChars,
        @OptionalKey Integer maxChars,
        @OptionalKey Double minCjkRatio,
        @OptionalKey Double maxCjkRatio,
        @OptionalKey Boolean dedup,
        @OptionalKey Boolean decodable,
        @OptionalKey Integer minSide,
        @OptionalKey Double maxAspect,
        @OptionalKey Integer nearDuplicate,
        @OptionalKey Path clipPipeline,
        @OptionalKey Double minClipScore) {

    public FilterSettings {
        positive("min_chars", minChars, 0);
        positive("max_chars", maxChars, 0);
        positive("min_side", minSide, 1);
        between("min_cjk_ratio", minCjkRatio);
        between("max_cjk_ratio", maxCjkRatio);
        if (minClipScore != null && (minClipScore < -1 || minClipScore > 1)) {
            throw new IllegalArgumentException("min_clip_score is a cosine, -1 to 1, got " + minClipScore);
        }
        if (maxAspect != null && maxAspect < 1) {
            throw new IllegalArgumentException("max_aspect must be at least 1 (long side / short side), got " + maxAspect);
        }
        if (nearDuplicate != null && (nearDuplicate < 0 || nearDuplicate > 15)) {
            throw new IllegalArgumentException("near_duplicate must be 0 to 15 bits, got " + nearDuplicate);
        }
        if (minClipScore != null && clipPipeline == null) {
            throw new IllegalArgumentException("min_clip_score needs clip_pipeline (a task: retrieval pipeline YAML)");
        }
    }

    /** No rules. */
    public static FilterSettings none() {
        return new FilterSettings(null, null, null, null, null, null, null, null, null, null, null, null, null, null,
                null, null);
    }

    /** These settings with relative file paths resolved against {@code dir} (the rules file's folder). */
    public FilterSettings resolvedAgainst(Path dir) {
        return new FilterSettings(stripUrls, boilerplate, resolve(dir, boilerplateFile), resolve(dir, maskWords),
                maskPersonal, minChars, maxChars, minCjkRatio, maxCjkRatio, dedup, decodable, minSide, maxAspect,
                nearDuplicate, resolve(dir, clipPipeline), minClipScore);
    }

    /** The rules, in their running order; {@code loader} loads the CLIP pipeline (may be {@code null} without one). */
    public List<Rule> rules(ComponentLoader loader) {
        List<Rule> rules = new ArrayList<>();
        List<String> phrases = new ArrayList<>(boilerplate == null ? List.of() : boilerplate);
        if (boilerplateFile != null) {
            phrases.addAll(lines(boilerplateFile).stream().map(String::strip).filter(l -> !l.isEmpty()).toList());
        }
        if (Boolean.TRUE.equals(stripUrls) || !phrases.isEmpty()) {
            rules.add(new TextRules.Strip(Boolean.TRUE.equals(stripUrls), phrases));
        }
        if (maskWords != null) {
            rules.add(new TextRules.MaskWords(lines(maskWords)));
        }
        if (Boolean.TRUE.equals(maskPersonal)) {
            rules.add(new TextRules.MaskPersonal());
        }
        if (minChars != null || maxChars != null) {
            rules.add(new TextRules.Length(minChars, maxChars));
        }
        if (minCjkRatio != null || maxCjkRatio != null) {
            rules.add(new TextRules.CjkRatio(minCjkRatio, maxCjkRatio));
        }
        if (Boolean.TRUE.equals(dedup)) {
            rules.add(new DuplicatePairs());
        }
        if (Boolean.TRUE.equals(decodable)) {
            rules.add(new ImageRules.Decodable());
        }
        if (minSide != null) {
            rules.add(new ImageRules.MinSide(minSide));
        }
        if (maxAspect != null) {
            rules.add(new ImageRules.MaxAspect(maxAspect));
        }
        if (nearDuplicate != null) {
            rules.add(new ImageRules.NearDuplicate(nearDuplicate));
        }
        if (clipPipeline != null) {
            rules.add(new ClipScore(clipPipeline, minClipScore == null ? 0.3 : minClipScore, loader));
        }
        return rules;
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static Path resolve(Path dir, Path p) {
        return p == null || p.isAbsolute() ? p : dir.resolve(p).normalize();
    }

    private static void positive(String key, Integer v, int least) {
        if (v != null && v < least) {
            throw new IllegalArgumentException(key + " must be at least " + least + ", got " + v);
        }
    }

    private static void between(String key, Double v) {
        if (v != null && (v < 0 || v > 1)) {
            throw new IllegalArgumentException(key + " must be between 0 and 1, got " + v);
        }
    }
}
