package org.mix4j.diffusion.tokenizer;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The text cleaning CLIPTokenizer does when the {@code ftfy} package is absent (transformers'
 * {@code BasicTokenizer(do_lower_case=True, tokenize_chinese_chars=True, strip_accents=False,
 * do_split_on_punc=False)}): drop NUL, U+FFFD and every Unicode "C*" character except tab, newline
 * and carriage return (so zero-width space and joiner go); map whitespace to a space; surround CJK
 * ideographs with spaces; NFC; split on whitespace; lower-case each word.
 */
final class ClipTextCleaner {

    private ClipTextCleaner() {}

    /** The cleaned words, joined with single spaces (what CLIPTokenizer feeds its regex). */
    static String clean(String text) {
        StringBuilder sb = new StringBuilder(text.length() + 8);
        text.codePoints().forEach(cp -> {
            if (cp == 0 || cp == 0xFFFD || isControl(cp)) {
                return;
            }
            if (isWhitespace(cp)) {
                sb.append(' ');
            } else if (isCjkIdeograph(cp)) {
                sb.append(' ').appendCodePoint(cp).append(' ');
            } else {
                sb.appendCodePoint(cp);
            }
        });
        String normalized = Normalizer.normalize(sb, Normalizer.Form.NFC);
        List<String> words = new ArrayList<>();
        for (String word : splitOnPythonSpace(normalized)) {
            words.add(word.toLowerCase(Locale.ROOT));
        }
        return String.join(" ", words);
    }

    /** BasicTokenizer's {@code _is_control}: category C*, except tab, newline, carriage return. */
    private static boolean isControl(int cp) {
        if (cp == '\t' || cp == '\n' || cp == '\r') {
            return false;
        }
        int type = Character.getType(cp);
        return type == Character.CONTROL || type == Character.FORMAT || type == Character.SURROGATE
                || type == Character.PRIVATE_USE || type == Character.UNASSIGNED;
    }

    /** BasicTokenizer's {@code _is_whitespace}: space, tab, newline, carriage return, category Zs. */
    private static boolean isWhitespace(int cp) {
        return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || Character.getType(cp) == Character.SPACE_SEPARATOR;
    }

    /** The CJK Unified Ideograph blocks BasicTokenizer spaces out (not kana, not hangul). */
    private static boolean isCjkIdeograph(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F)
                || (cp >= 0x2B820 && cp <= 0x2CEAF) || (cp >= 0xF900 && cp <= 0xFAFF)
                || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }

    /** Python's {@code str.split()}: runs of {@code str.isspace} characters separate words. */
    static List<String> splitOnPythonSpace(String text) {
        List<String> words = new ArrayList<>();
        int start = -1;
        int i = 0;
        while (i < text.length()) {
            int cp = text.codePointAt(i);
            if (isPythonSpace(cp)) {
                if (start >= 0) {
                    words.add(text.substring(start, i));
                    start = -1;
                }
            } else if (start < 0) {
                start = i;
            }
            i += Character.charCount(cp);
        }
        if (start >= 0) {
            words.add(text.substring(start));
        }
        return words;
    }

    /** Python's {@code str.isspace} for one code point. */
    static boolean isPythonSpace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F
                || cp == 0x3000;
    }
}
