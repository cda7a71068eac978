package org.mix4j.spark.data;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.mix4j.data.records.BadRecords;
import org.mix4j.data.records.Format;
import org.mix4j.data.records.Sample;
import org.mix4j.data.records.SampleReader;
import org.mix4j.records.JsonRecordReader;
import org.mix4j.records.RecordPaths;
import scala.Tuple2;

/**
 * Reads a data file into a Spark job with mix-data's own record handling: a JSONL file in splits,
 * each line through {@link JsonRecordReader#line} and {@link SampleReader#sample} (so each sample
 * says {@code FILE:LINE} and a bad record is reported as {@code mix data} reports it); a JSON array,
 * which cannot be split, in one task through {@link SampleReader}. A {@code convert} step ({@code to}
 * given) writes each sample as a record of the new format and reads it back, as the local chain's
 * next tool reads the converted file; a sample that does not fit is a bad record.
 */
final class SampleSource {

    /**
     * What one task read: records (bad ones included) and the bad ones, the first few listed.
     *
     * @param part the task's place in the file (its splits are in file order)
     */
    record Summary(int part, long recordsRead, long badCount, List<String> badListed) implements Serializable {

        /** The file's summary from its tasks': counts added, the first bad records by file order. */
        static Summary of(List<Summary> parts) {
            List<Summary> ordered = new ArrayList<>(parts);
            ordered.sort(Comparator.comparingInt(Summary::part));
            long read = 0;
            long bad = 0;
            List<String> listed = new ArrayList<>();
            for (Summary s : ordered) {
                read += s.recordsRead();
                bad += s.badCount();
                s.badListed().stream().limit(BadRecords.LISTED - listed.size()).forEach(listed::add);
            }
            return new Summary(0, read, bad, listed);
        }
    }

    /** A sample, or (last in each task) the task's {@link Summary}. */
    record Read(Positioned sample, Summary summary) implements Serializable {}

    private SampleSource() {}

    /**
     * @param format the input's format
     * @param to the convert step's format, or {@code null} for no convert step
     * @param partitions how many partitions the samples come in (a JSONL file: at least so many splits)
     */
    static JavaRDD<Read> read(JavaSparkContext sc, Path in, Format format, Format to, String captionPrompt,
            boolean failOnBad, int partitions) {
        String file = in.toString();
        String base = RecordPaths.base(in).toString();
        boolean array;
        try (JsonRecordReader r = JsonRecordReader.open(in)) {
            array = r.isArray();
        }
        if (array) {
            return sc.parallelize(List.of(file), 1).mapPartitions(files -> {
                BadRecords bad = new BadRecords(failOnBad, null);
                return new Records(new Whole(SampleReader.open(Path.of(files.next()), format, captionPrompt, bad)), bad,
                        0, to, captionPrompt);
            }).repartition(partitions); // the rules after it run in parallel
        }
        String uri = in.toAbsolutePath().normalize().toUri().toString(); // the local (shared) file, not the cluster's HDFS
        return sc.textFile(uri, partitions).zipWithIndex().mapPartitionsWithIndex((part, lines) -> {
            BadRecords bad = new BadRecords(failOnBad, null);
            return new Records(new Lines(lines, file, format, base, captionPrompt, bad), bad, part, to, captionPrompt);
        }, false);
    }

    /** Samples with their positions in the file and the count of records read so far. */
    private interface Source extends Iterator<Sample> {
        /** The position of the sample {@link #next} returned last. */
        long position();

        long read();

        default void close() {}
    }

    /** A whole file through {@link SampleReader}. */
    private record Whole(SampleReader reader) implements Source {
        @Override
        public boolean hasNext() {
            return reader.hasNext();
        }

        @Override
        public Sample next() {
            return reader.next();
        }

        @Override
        public long position() {
            return reader.recordsRead() - 1;
        }

        @Override
        public long read() {
            return reader.recordsRead();
        }

        @Override
        public void close() {
            reader.close();
        }
    }

    /** A JSONL split's samples, as {@link SampleReader} reads a whole file. */
    private static final class Lines implements Source {
        private final Iterator<Tuple2<String, Long>> lines;
        private final String file;
        private final Format format;
        private final String base;
        private final String captionPrompt;
        private final BadRecords bad;
        private long read;
        private long position;
        private Sample next;

        Lines(Iterator<Tuple2<String, Long>> lines, String file, Format format, String base, String captionPrompt,
                BadRecords bad) {
            this.lines = lines;
            this.file = file;
            this.format = format;
            this.base = base;
            this.captionPrompt = captionPrompt;
            this.bad = bad;
        }

        @Override
        public boolean hasNext() {
            while (next == null && lines.hasNext()) {
                Tuple2<String, Long> l = lines.next();
                String text = l._2() == 0 && l._1().startsWith("\uFEFF") ? l._1().substring(1) : l._1(); // as the reader skips a BOM
                JsonRecordReader.Entry e = JsonRecordReader.line(text, file + ":" + (l._2() + 1));
                if (e != null) {
                    read++;
                    position = l._2();
                    next = SampleReader.sample(e, format, base, captionPrompt, bad);
                }
            }
            return next != null;
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
        public long position() {
            return position;
        }

        @Override
        public long read() {
            return read;
        }
    }

    /** A task's samples with their positions (converted when asked), then its {@link Summary}. */
    private static final class Records implements Iterator<Read> {
        private final Source source;
        private final BadRecords bad;
        private final int part;
        private final Format to;
        private final String captionPrompt;
        private Read next;
        private boolean summarised;

        Records(Source source, BadRecords bad, int part, Format to, String captionPrompt) {
            this.source = source;
            this.bad = bad;
            this.part = part;
            this.to = to;
            this.captionPrompt = captionPrompt;
        }

        @Override
        public boolean hasNext() {
            while (next == null && !summarised) {
                if (source.hasNext()) {
                    Sample s = source.next();
                    Sample converted = to == null ? s : convert(s);
                    if (converted != null) {
                        next = new Read(new Positioned(source.position(), converted), null);
                    }
                } else {
                    source.close();
                    summarised = true;
                    next = new Read(null, new Summary(part, source.read(), bad.count(), bad.listed()));
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
