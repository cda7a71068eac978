package org.mix4j.spark.data;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.mix4j.data.records.BadRecords;
import org.mix4j.data.records.Format;
import org.mix4j.data.records.Sample;
import org.mix4j.data.records.SampleReader;

/**
 * Reads a data file into a Spark job with mix-data's own {@link SampleReader}, in one task (a JSON
 * array cannot be split, and the reader's {@code FILE:LINE} and bad-record reports are then the
 * local tool's), then spreads the samples over the job's partitions. A {@code convert} step
 * ({@code to} given) writes each sample as a record of the new format and reads it back, as the
 * local chain's next tool reads the converted file; a sample that does not fit is a bad record.
 * The reading task is the only serial part of a job: the rules that follow run in parallel.
 */
final class SampleSource {

    /** What the reading task saw: the records it read and the bad ones among them. */
    record Summary(long recordsRead, long badCount, List<String> badListed) implements Serializable {}

    /** A sample, or (last, position -1) the {@link Summary}. */
    record Read(Positioned sample, Summary summary) implements Serializable {}

    private SampleSource() {}

    /**
     * @param from the input's format (detected on the driver when {@code null})
     * @param to the convert step's format, or {@code null} for no convert step
     */
    static JavaRDD<Read> read(JavaSparkContext sc, Path in, Format from, Format to, String captionPrompt,
            boolean failOnBad) {
        Format format = from != null ? from : SampleReader.detect(in);
        String file = in.toString();
        return sc.parallelize(List.of(file), 1)
                .mapPartitions(files -> new ReadIterator(Path.of(files.next()), format, to, captionPrompt, failOnBad));
    }

    /** The samples of a file with their positions, then its {@link Summary}. */
    private static final class ReadIterator implements Iterator<Read> {
        private final SampleReader reader;
        private final Format to;
        private final String captionPrompt;
        private final BadRecords bad;
        private Read next;
        private boolean summarised;

        ReadIterator(Path file, Format from, Format to, String captionPrompt, boolean failOnBad) {
            this.bad = new BadRecords(failOnBad, null);
            this.reader = SampleReader.open(file, from, captionPrompt, bad);
            this.to = to;
            this.captionPrompt = captionPrompt;
        }

        @Override
        public boolean hasNext() {
            while (next == null && !summarised) {
                if (reader.hasNext()) {
                    Sample s = reader.next();
                    long position = reader.recordsRead() - 1;
                    Sample converted = to == null ? s : convert(s);
                    if (converted != null) {
                        next = new Read(new Positioned(position, converted), null);
                    }
                } else {
                    reader.close();
                    summarised = true;
                    next = new Read(null, new Summary(reader.recordsRead(), bad.count(), bad.listed()));
                }
            }
            return next != null;
        }

        @Override
        public Read next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            Read r = next;
            next = null;
            return r;
        }

        /** {@code s} written as a record of {@code to} and read back; {@code null} (reported) when it does not fit. */
        private Sample convert(Sample s) {
            try {
                return to.read(to.write(s, captionPrompt), s.where(), s.base(), captionPrompt);
            } catch (IllegalArgumentException e) {
                bad.report(s.where(), "cannot be written as " + to.id() + ": " + e.getMessage());
                return null;
            }
        }
    }
}
