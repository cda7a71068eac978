package org.mix4j.records;

import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.BufferedReader;
import java.io.Closeable;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PushbackReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * The records of a data file, one at a time in constant memory: a JSON array (streamed with Gson's
 * {@link JsonReader}) or JSONL (one record a line, blank lines skipped). Each {@link Entry} says
 * where it is. A JSONL line that is not JSON is an entry with an {@code error} (the caller skips it
 * or stops); a syntax error inside a JSON array ends the array, so it is thrown.
 */
public final class JsonRecordReader implements Iterator<JsonRecordReader.Entry>, Closeable {

    /**
     * One record.
     *
     * @param where {@code FILE:LINE} (JSONL) or {@code FILE[INDEX]} (JSON array)
     * @param json the record, or {@code null} when the line is not JSON
     * @param error why the line is not JSON, or {@code null}
     */
    public record Entry(String where, JsonElement json, String error) {}

    private final Path file;
    private final CountingStream counted;
    private final BufferedReader lines;
    private final JsonReader array;
    private final long size;
    private int lineNumber;
    private int index;
    private Entry next;

    private JsonRecordReader(Path file, CountingStream counted, BufferedReader lines, JsonReader array, long size) {
        this.file = file;
        this.counted = counted;
        this.lines = lines;
        this.array = array;
        this.size = size;
    }

    /** Opens {@code file}; its first non-blank character decides JSON array or JSONL. */
    public static JsonRecordReader open(Path file) {
        try {
            long size = Files.size(file);
            CountingStream counted = new CountingStream(Files.newInputStream(file));
            PushbackReader in = new PushbackReader(new InputStreamReader(counted, StandardCharsets.UTF_8), 1 << 16);
            boolean isArray = startsWithBracket(in);
            if (isArray) {
                JsonReader json = new JsonReader(new BufferedReader(in, 1 << 16));
                json.beginArray();
                return new JsonRecordReader(file, counted, null, json, size);
            }
            return new JsonRecordReader(file, counted, new BufferedReader(in, 1 << 16), null, size);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": no such data file");
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Skips leading whitespace (and a byte-order mark) and tells whether a {@code [} follows. */
    private static boolean startsWithBracket(PushbackReader in) throws IOException {
        StringBuilder skipped = new StringBuilder();
        int c;
        while ((c = in.read()) != -1 && (Character.isWhitespace(c) || c == '\uFEFF')) {
            skipped.append((char) (c == '\uFEFF' ? ' ' : c));
        }
        if (c == -1) {
            return false;
        }
        in.unread(c);
        if (c != '[') {
            in.unread(skipped.toString().toCharArray()); // keep the newlines so line numbers stay right
        }
        return c == '[';
    }

    public boolean isArray() {
        return array != null;
    }

    public Path file() {
        return file;
    }

    /** Bytes of the file read so far (ahead of the records returned by up to a buffer). */
    public long bytesRead() {
        return counted.count;
    }

    /** The file's size in bytes when it was opened. */
    public long size() {
        return size;
    }

    @Override
    public boolean hasNext() {
        if (next == null) {
            next = advance();
        }
        return next != null;
    }

    @Override
    public Entry next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        Entry e = next;
        next = null;
        return e;
    }

    private Entry advance() {
        try {
            return array != null ? nextElement() : nextLine();
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private Entry nextElement() throws IOException {
        try {
            if (array.peek() == JsonToken.END_ARRAY) {
                return null;
            }
            String where = file + "[" + index++ + "]";
            return new Entry(where, JsonParser.parseReader(array), null);
        } catch (JsonParseException | IllegalStateException | IOException e) {
            throw new IllegalArgumentException(file + ": not a JSON array of samples: " + firstLine(e.getMessage()));
        }
    }

    private Entry nextLine() throws IOException {
        String line;
        while ((line = lines.readLine()) != null) {
            lineNumber++;
            Entry e = line(line, file + ":" + lineNumber);
            if (e != null) {
                return e;
            }
        }
        return null;
    }

    /**
     * One JSONL line as this reader makes it an entry, or {@code null} for a blank line: for a reader
     * of its own lines (a Spark job reading a JSONL file in splits).
     */
    public static Entry line(String line, String where) {
        if (line.isBlank()) {
            return null;
        }
        try {
            return new Entry(where, JsonParser.parseString(line), null);
        } catch (JsonParseException e) {
            return new Entry(where, null, "not a JSON object: " + firstLine(e.getMessage()));
        }
    }

    @Override
    public void close() {
        try {
            if (array != null) {
                array.close();
            } else {
                lines.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot close: " + e.getMessage(), e);
        }
    }

    private static String firstLine(String message) {
        return message == null ? "" : message.lines().findFirst().orElse("");
    }

    /** Counts the bytes that pass, for progress. */
    private static final class CountingStream extends FilterInputStream {
        long count;

        CountingStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }
    }
}
