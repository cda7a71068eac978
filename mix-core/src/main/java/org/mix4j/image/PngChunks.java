package org.mix4j.image;

import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import javax.imageio.stream.ImageInputStream;

/**
 * A pass over a PNG's chunks before the JDK's reader sees them, refusing what PIL's PNG plugin
 * refuses: a bad CRC in a chunk before the image data (PIL checks those, not IDAT's), and text or
 * ICC chunks that inflate past {@link #MAX_TEXT_CHUNK} or together past {@link #MAX_TEXT_MEMORY}
 * (the JDK would inflate them whole into its metadata: half a megabyte of zTXt became 1.9 GB).
 * Chunks are streamed in small blocks; nothing is allocated from a declared length.
 */
final class PngChunks {

    /** PIL's {@code PngImagePlugin.MAX_TEXT_CHUNK}: the most one text or ICC chunk may inflate to. */
    static final int MAX_TEXT_CHUNK = 1024 * 1024;

    /** PIL's {@code PngImagePlugin.MAX_TEXT_MEMORY}: the most all text chunks may hold together. */
    static final long MAX_TEXT_MEMORY = 64L * 1024 * 1024;

    private static final int IDAT = 0x49444154;
    private static final int IEND = 0x49454E44;
    private static final int PLTE = 0x504C5445;
    private static final int TEXT = 0x74455874; // tEXt
    private static final int ZTXT = 0x7A545874;
    private static final int ITXT = 0x69545874;
    private static final int ICCP = 0x69434350;

    private PngChunks() {}

    /**
     * Checks every chunk and returns the number of PLTE entries, or -1 without a palette (the JDK
     * pads the palette to 2^bits entries; PIL looks indices past its end up in a gray ramp). A file
     * cut short ends the pass quietly: the decoder reports truncation. Leaves the stream where it was.
     */
    static int check(ImageInputStream in, String name) throws IOException {
        in.mark();
        int palette = -1;
        try {
            in.seek(8); // signature
            boolean beforeImageData = true;
            long textBytes = 0;
            byte[] block = new byte[64 * 1024];
            byte[] inflated = new byte[16 * 1024];
            for (int index = 0; ; index++) {
                long at = in.getStreamPosition();
                long length = in.readUnsignedInt();
                int type = in.readInt();
                if (type == IEND) {
                    return palette;
                }
                if (type == IDAT) {
                    beforeImageData = false;
                    in.seek(at + 12 + length);
                    continue;
                }
                if (type == PLTE && beforeImageData) {
                    palette = (int) Math.min(256, length / 3);
                }
                Chunk chunk = new Chunk(name, type, index, at, inflated);
                textBytes += chunk.read(in, length, block, beforeImageData);
                if (textBytes > MAX_TEXT_MEMORY) {
                    throw new ImageDecodeException(name + ": PNG text chunks hold more than " + MAX_TEXT_MEMORY
                            + " bytes in all (as PIL, refused: a decompression bomb?)");
                }
            }
        } catch (EOFException e) {
            return palette;
        } finally {
            in.reset();
        }
    }

    /** One chunk's data as it streams by: its CRC, and what its text inflates to. */
    private static final class Chunk {
        // where a text chunk's bytes are: zTXt and iCCP are keyword NUL method data; iTXt is
        // keyword NUL flag method language NUL translated-keyword NUL text (inflated if flag is 1)
        private static final int KEYWORD = 0, FLAG = 1, METHOD = 2, LANGUAGE = 3, TRANSLATED = 4, BODY = 5, BROKEN = 6;

        private final String file;
        private final int type;
        private final int index;
        private final long at;
        private final byte[] out;
        private final CRC32 crc = new CRC32();
        private Inflater inflater; // for compressed text only
        private int stage;
        private long textBytes;

        Chunk(String file, int type, int index, long at, byte[] out) {
            this.file = file;
            this.out = out;
            this.type = type;
            this.index = index;
            this.at = at;
            this.stage = type == TEXT ? BODY : KEYWORD;
        }

        /** Reads the chunk's data and CRC; returns the text bytes it holds (inflated). */
        long read(ImageInputStream in, long length, byte[] block, boolean checkCrc) throws IOException {
            boolean text = type == TEXT || type == ZTXT || type == ITXT || type == ICCP;
            if (!checkCrc && !text) {
                in.seek(in.getStreamPosition() + length + 4);
                return 0;
            }
            crc.update(new byte[] {(byte) (type >>> 24), (byte) (type >>> 16), (byte) (type >>> 8), (byte) type});
            try {
                for (long left = length; left > 0; ) {
                    int n = (int) Math.min(block.length, left);
                    in.readFully(block, 0, n);
                    crc.update(block, 0, n);
                    if (text) {
                        feed(block, n);
                    }
                    left -= n;
                }
            } finally {
                if (inflater != null) {
                    inflater.end();
                }
            }
            long stored = in.readUnsignedInt();
            if (checkCrc && stored != crc.getValue()) {
                throw new ImageDecodeException(file + ": bad CRC in PNG chunk " + name() + " (chunk " + index
                        + " at byte " + at + "; the file is corrupt)");
            }
            return type == ICCP ? 0 : textBytes;
        }

        private void feed(byte[] block, int n) {
            int i = 0;
            while (stage < BODY && i < n) {
                byte b = block[i++];
                stage = switch (stage) {
                    case KEYWORD -> b != 0 ? KEYWORD : type == ITXT ? FLAG : METHOD;
                    case FLAG -> {
                        if (b == 1) {
                            inflater = new Inflater();
                        }
                        yield METHOD;
                    }
                    case METHOD -> {
                        if (type != ITXT) {
                            inflater = new Inflater();
                        }
                        yield type == ITXT ? LANGUAGE : BODY;
                    }
                    case LANGUAGE -> b != 0 ? LANGUAGE : TRANSLATED;
                    default -> b != 0 ? TRANSLATED : BODY; // TRANSLATED
                };
            }
            if (stage != BODY) {
                return;
            }
            if (inflater == null) {
                textBytes += n - i;
                return;
            }
            inflater.setInput(block, i, n - i);
            try {
                while (!inflater.finished() && !inflater.needsInput() && !inflater.needsDictionary()) {
                    textBytes += inflater.inflate(out);
                    if (textBytes > MAX_TEXT_CHUNK) {
                        throw new ImageDecodeException(file + ": PNG chunk " + name() + " (chunk " + index + " at byte "
                                + at + ") inflates to more than " + MAX_TEXT_CHUNK
                                + " bytes (as PIL, refused: a decompression bomb?)");
                    }
                }
            } catch (DataFormatException e) {
                stage = BROKEN; // PIL drops a text chunk that does not inflate: nothing more to count
            }
        }

        private String name() {
            byte[] b = {(byte) (type >>> 24), (byte) (type >>> 16), (byte) (type >>> 8), (byte) type};
            return new String(b, StandardCharsets.ISO_8859_1);
        }
    }
}
