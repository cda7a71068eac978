package org.mix4j.data.records;

import com.google.gson.JsonObject;
import java.io.Closeable;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.mix4j.records.JsonRecordReader;
import org.mix4j.records.RecordPaths;

/**
 * The samples of a data file, one at a time: records that are not JSON or not the format go to
 * {@link BadRecords} (reported, skipped or fatal), never silently away.
 */
public final class SampleReader implements Iterator<Sample>, Closeable {

    /** How many records format detection looks at for a key that tells LLaVA from ShareGPT. */
    private static final int DETECT_RECORDS = 1000;

    private final JsonRecordReader records;
    private final Format format;
    private final String base;
    private final String captionPrompt;
    private final BadRecords bad;
    private Sample next;
    private long read;

    private SampleReader(JsonRecordReader records, Format format, String captionPrompt, BadRecords bad) {
        this.records = records;
        this.format = format;
        this.base = RecordPaths.base(records.file()).toString();
        this.captionPrompt = captionPrompt;
        this.bad = bad;
    }

    /** @param format the file's format, or {@code null} to {@link #detect} it */
    public static SampleReader open(Path file, Format format, String captionPrompt, BadRecords bad) {
        Format f = format != null ? format : detect(file);
        return new SampleReader(JsonRecordReader.open(file), f, captionPrompt, bad);
    }

    /**
     * The format of a file's first records: {@code messages} is OpenAI, {@code image} and
     * {@code caption} a caption pair, {@code conversations} LLaVA unless a record has {@code images}
     * (ShareGPT) within the first {@value #DETECT_RECORDS}.
     */
    public static Format detect(Path file) {
        boolean conversations = false;
        try (JsonRecordReader in = JsonRecordReader.open(file)) {
            for (int i = 0; i < DETECT_RECORDS && in.hasNext(); i++) {
                JsonRecordReader.Entry e = in.next();
                if (e.json() == null || !e.json().isJsonObject()) {
                    continue;
                }
                JsonObject o = e.json().getAsJsonObject();
                Format f = Format.recognise(o);
                if (f != null) {
                    return f;
                }
                conversations |= o.has("conversations");
            }
        }
        if (conversations) {
            return Format.LLAVA;
        }
        throw new IllegalArgumentException(file + ": cannot tell the format from its first records (no "
                + "\"messages\", \"conversations\" or \"image\"+\"caption\"); give --from llava|sharegpt|openai|caption");
    }

    public Format format() {
        return format;
    }

    /** Records read so far, bad ones included. */
    public long recordsRead() {
        return read;
    }

    public long bytesRead() {
        return records.bytesRead();
    }

    public long size() {
        return records.size();
    }

    @Override
    public boolean hasNext() {
        while (next == null && records.hasNext()) {
            read++;
            next = sample(records.next(), format, base, captionPrompt, bad);
        }
        return next != null;
    }

    /**
     * One record as a sample of {@code format}, or {@code null} when it is bad (reported to
     * {@code bad}): what this reader does with each record, for a reader of its own (a Spark job
     * reading a JSONL file in splits).
     *
     * @param base the data file's folder ({@link RecordPaths#base})
     */
    public static Sample sample(JsonRecordReader.Entry e, Format format, String base, String captionPrompt,
            BadRecords bad) {
        if (e.error() != null) {
            bad.report(e.where(), e.error());
        } else if (!e.json().isJsonObject()) {
            bad.report(e.where(), "a sample must be a JSON object, got " + abbreviate(e.json().toString()));
        } else {
            try {
                return format.read(e.json().getAsJsonObject(), e.where(), base, captionPrompt);
            } catch (IllegalArgumentException | IllegalStateException | UnsupportedOperationException x) {
                bad.report(e.where(), x.getMessage());
            }
        }
        return null;
    }

    @Override
    public Sample next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        Sample s = next;
        next = null;
        return s;
    }

    @Override
    public void close() {
        records.close();
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}
