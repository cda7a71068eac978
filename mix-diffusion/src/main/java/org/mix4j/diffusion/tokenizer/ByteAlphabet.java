package org.mix4j.diffusion.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * GPT-2's byte-level alphabet ({@code bytes_to_unicode}): each of the 256 byte values maps to a
 * printable character, so BPE works on text with no unknown symbols. Printable Latin-1 bytes map
 * to themselves; the others to U+0100 onwards, in byte order.
 */
final class ByteAlphabet {

    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[512];

    static {
        Arrays.fill(CHAR_TO_BYTE, -1);
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = (char) (printable ? b : next++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteAlphabet() {}

    /** The UTF-8 bytes of {@code text}, one alphabet character each. */
    static String encode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        }
        return new String(out);
    }

    /**
     * Back to text: alphabet characters become their bytes, anything else (an added token that is
     * not byte-encoded) its own UTF-8; invalid UTF-8 becomes U+FFFD, like {@code errors="replace"}.
     */
    static String decode(String symbols) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(symbols.length());
        symbols.codePoints().forEach(cp -> {
            if (cp < CHAR_TO_BYTE.length && CHAR_TO_BYTE[cp] >= 0) {
                bytes.write(CHAR_TO_BYTE[cp]);
            } else {
                bytes.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
            }
        });
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
