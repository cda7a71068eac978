package org.mix4j.pipelines.decoding;

import java.util.ArrayList;
import java.util.List;
import org.mix4j.api.Tokenizer;

/**
 * Turns one sequence of generated tokens into text increments that never change once emitted.
 * A token may hold only part of a UTF-8 character (byte-level BPE, byte fallback): until the rest
 * arrives the decoded text ends in U+FFFD, so that tail is held back. Text that could be the
 * start of a stop string is held back too, and nothing from a stop string on is ever emitted.
 */
public final class StreamDecoder {

    private static final char REPLACEMENT = '\uFFFD';

    private final Tokenizer tokenizer;
    private final List<String> stopStrings;
    private final List<Long> ids = new ArrayList<>();
    private String text = "";
    private int emitted;
    private boolean stopped;

    public StreamDecoder(Tokenizer tokenizer, List<String> stopStrings) {
        this.tokenizer = tokenizer;
        this.stopStrings = stopStrings.stream().filter(s -> !s.isEmpty()).toList();
    }

    /** Adds a token and returns the text that became final (often empty). */
    public String push(long id) {
        if (stopped) {
            return "";
        }
        ids.add(id);
        text = tokenizer.decode(ids.stream().mapToLong(Long::longValue).toArray(), true);
        int stopAt = firstStop();
        if (stopAt >= 0) {
            stopped = true;
            text = text.substring(0, stopAt);
            return take(stopAt);
        }
        int end = text.length();
        while (end > emitted && text.charAt(end - 1) == REPLACEMENT) {
            end--;
        }
        end = Math.min(end, text.length() - longestStopPrefixSuffix());
        return take(end);
    }

    /** Emits whatever was held back (at the end of generation). */
    public String flush() {
        return take(text.length());
    }

    /** Whether a stop string has appeared. */
    public boolean stopped() {
        return stopped;
    }

    /** The whole text so far, cut before a stop string. */
    public String text() {
        return text;
    }

    private String take(int end) {
        if (end <= emitted) {
            return "";
        }
        String piece = text.substring(emitted, end);
        emitted = end;
        return piece;
    }

    private int firstStop() {
        int best = -1;
        for (String s : stopStrings) {
            int i = text.indexOf(s);
            if (i >= 0 && (best < 0 || i < best)) {
                best = i;
            }
        }
        return best;
    }

    // Length of the longest end of the text that is a proper prefix of some stop string.
    private int longestStopPrefixSuffix() {
        int best = 0;
        for (String s : stopStrings) {
            for (int n = Math.min(s.length() - 1, text.length()); n > best; n--) {
                if (text.regionMatches(text.length() - n, s, 0, n)) {
                    best = n;
                    break;
                }
            }
        }
        return best;
    }
}
