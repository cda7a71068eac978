package org.mix4j.data.ops;

import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;
import org.mix4j.data.records.BadRecords;
import org.mix4j.data.records.Format;
import org.mix4j.data.records.Sample;
import org.mix4j.data.records.SampleReader;
import org.mix4j.data.records.SampleWriter;

/**
 * How every {@code mix data} tool reads and writes: one sample at a time from the input, through a
 * function, into a temporary output moved into place when complete; bad records reported, progress
 * given every few thousand records.
 *
 * @param from the input format, or {@code null} to detect it
 * @param to the output format, or {@code null} for the input's
 * @param captionPrompt the prompt a caption pair's caption answers
 */
public record DataRun(Format from, Format to, String captionPrompt, BadRecords bad, Progress progress) {

    private static final int PROGRESS_EVERY = 4096;

    public DataRun {
        captionPrompt = captionPrompt == null ? Format.DEFAULT_CAPTION_PROMPT : captionPrompt;
        progress = progress == null ? Progress.NONE : progress;
    }

    public SampleReader open(Path in) {
        return SampleReader.open(in, from, captionPrompt, bad);
    }

    /** A writer for {@code out} in the output format ({@code inputFormat} when none was asked for). */
    public SampleWriter create(Path out, Format inputFormat, List<Path> inputs) {
        return SampleWriter.open(out, to != null ? to : inputFormat, captionPrompt, inputs);
    }

    /**
     * Streams {@code in} through {@code f} (a {@code null} result drops the sample) into {@code out}
     * and adds the counts to {@code report}.
     */
    public RunReport transform(Path in, Path out, UnaryOperator<Sample> f, RunReport report) {
        SampleWriter.checkNotAnInput(out, List.of(in));
        try (SampleReader r = open(in); SampleWriter w = create(out, r.format(), List.of(in))) {
            while (r.hasNext()) {
                Sample s = f.apply(r.next());
                if (s != null) {
                    write(w, s);
                }
                tick(r);
            }
            w.commit();
            progress.update(r.size(), r.size(), r.recordsRead());
            return report.put("from", r.format().id()).put("to", w.format().id()).input(in, r.recordsRead())
                    .output(out, w.written()).bad(bad);
        }
    }

    /** Writes {@code s}; one that does not fit the output format is a bad record. */
    public void write(SampleWriter w, Sample s) {
        try {
            w.write(s);
        } catch (IllegalArgumentException e) {
            bad.report(s.where(), "cannot be written as " + w.format().id() + ": " + e.getMessage());
        }
    }

    /** Reports progress every few thousand records. */
    public void tick(SampleReader r) {
        if (r.recordsRead() % PROGRESS_EVERY == 0) {
            progress.update(r.bytesRead(), r.size(), r.recordsRead());
        }
    }

    /** Counts the samples of {@code in} (a pass over the file; bad records are reported by the pass that writes). */
    public long count(Path in) {
        long n = 0;
        try (SampleReader r = SampleReader.open(in, from, captionPrompt, new BadRecords(false, null))) {
            while (r.hasNext()) {
                r.next();
                n++;
            }
        }
        return n;
    }
}
