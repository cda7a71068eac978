package org.mix4j.spark.data;

import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.mix4j.data.filter.Rule;
import org.mix4j.data.ops.RunReport;
import org.mix4j.data.ops.Sampling;
import org.mix4j.data.ops.Splitting;
import org.mix4j.data.ops.Stats;
import org.mix4j.data.records.Format;
import org.mix4j.data.records.SampleReader;
import org.mix4j.data.records.SampleWriter;

/**
 * Runs a {@link DataJob} on Spark: what {@code mix data convert}, {@code filter} and {@code sample}
 * do one after the other, with their code (formats, rules, the sampler's choice), as one job.
 * The output folder holds JSONL part files in input order ({@code cat OUT/part-*} is the local
 * chain's output file); its reports are the local tools' reports, one a step.
 */
public final class DataChain {

    private DataChain() {}

    /** Runs {@code job}; the reports of its steps, in order. */
    public static List<RunReport> run(SparkSession spark, DataJob job) {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Format from = job.from() != null ? job.from() : SampleReader.detect(job.input());
        Format out = job.to() != null ? job.to() : from;
        FilterStages stages = new FilterStages(sc);
        List<JavaRDD<?>> cached = new ArrayList<>();
        List<Rule> rules = job.filter() != null ? job.filter().rules(null) : List.of();
        try {
            // 1. read (and convert): a JSONL file in splits, a JSON array in one task, spread after it
            JavaRDD<SampleSource.Read> spread = SampleSource.read(sc, job.input(), from, job.to(), job.captionPrompt(),
                    !job.skipBad(), job.partitions()).persist(StorageLevel.MEMORY_AND_DISK());
            cached.add(spread);
            SampleSource.Summary read = summary(spread);
            JavaRDD<Positioned> samples = spread.filter(r -> r.sample() != null).map(SampleSource.Read::sample);
            long n = read.recordsRead() - read.badCount();
            Reports reports = new Reports(job, read);
            if (job.to() != null) {
                reports.start("convert", n).put("from", from.id()).put("to", out.id());
            }
            // 2. filter
            if (job.filter() != null) {
                RunReport step = reports.start("filter", n);
                RuleTally tally = new RuleTally(rules.stream().map(Rule::name).toList());
                samples = stages.apply(samples, rules, tally).persist(StorageLevel.MEMORY_AND_DISK());
                cached.add(samples);
                n = samples.count();
                step.rules(tally.counts());
            }
            // 3. sample, in input order
            JavaRDD<Positioned> sorted = samples.sortBy(Positioned::position, true, job.partitions());
            if (job.samples()) {
                sorted = sample(sc, sorted, job, n, reports.start("sample", n).put("seed", job.seed()));
            }
            cached.add(sorted.persist(StorageLevel.MEMORY_AND_DISK()));
            // 4. write, or split: a folder a part, each in input order
            if (job.split() == null) {
                long written = sorted.count();
                write(sorted, job.output(), out, job.captionPrompt());
                reports.current().output(job.output(), written);
            } else {
                split(sorted, job, out, reports.start("split", sorted.count()).put("seed", job.seed()));
            }
            return reports.all();
        } finally {
            stages.release();
            cached.forEach(JavaRDD::unpersist);
            rules.forEach(Rule::close); // the driver's copies (local mode: the ones the tasks used); executors' end with them
        }
    }

    /** The reading tasks' summaries as one. */
    static SampleSource.Summary summary(JavaRDD<SampleSource.Read> read) {
        return SampleSource.Summary.of(read.filter(r -> r.summary() != null).map(SampleSource.Read::summary).collect());
    }

    private static void split(JavaRDD<Positioned> sorted, DataJob job, Format out, RunReport report) {
        DataJob.Split split = job.split();
        long seed = job.seed();
        double sum = split.sum();
        for (int i = 0; i < split.names().size(); i++) {
            int part = i;
            JavaRDD<Positioned> in = sorted.filter(p -> Splitting.part(p.sample(), split.ratios(), sum, seed) == part);
            Path dir = job.output().resolve(split.names().get(i));
            write(in, dir, out, job.captionPrompt());
            report.output(dir, in.count());
        }
    }

    /**
     * {@code mix data stats} of {@code in} as a job: the same JSON (counts, histograms, tags), the
     * samples' counts added up over partitions ({@link Stats#merge}).
     */
    public static JsonObject stats(SparkSession spark, Path in, Format format, String captionPrompt, boolean skipBad,
            boolean readImages, int partitions) {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Format from = format != null ? format : SampleReader.detect(in);
        JavaRDD<SampleSource.Read> spread = SampleSource.read(sc, in, from, null,
                captionPrompt != null ? captionPrompt : Format.DEFAULT_CAPTION_PROMPT, !skipBad, partitions)
                .persist(StorageLevel.MEMORY_AND_DISK());
        try {
            SampleSource.Summary read = summary(spread);
            Stats stats = spread.filter(r -> r.sample() != null).aggregate(Stats.empty(),
                    (st, r) -> st.add(r.sample().sample(), readImages), Stats::merge);
            return stats.json(in.toString(), from.id(), read.recordsRead(), read.badCount());
        } finally {
            spread.unpersist();
        }
    }

    /** The reports of a job's steps: the first reads the input; each later one starts as the previous one ends. */
    private static final class Reports {
        private final List<RunReport> all = new ArrayList<>();

        Reports(DataJob job, SampleSource.Summary read) {
            String first = job.to() != null ? "convert" : job.filter() != null ? "filter" : job.samples() ? "sample"
                    : "split";
            all.add(new RunReport(first).input(job.input(), read.recordsRead()).bad(read.badCount(), read.badListed()));
        }

        /** The report of step {@code command}, which gets {@code n} samples: the first one, or a new one. */
        RunReport start(String command, long n) {
            RunReport last = current();
            String previous = last.json().get("command").getAsString();
            if (all.size() == 1 && previous.equals(command) && last.json().getAsJsonObject("outputs").isEmpty()) {
                return last;
            }
            last.output(Path.of("(" + command + ")"), n);
            RunReport r = new RunReport(command).input(Path.of("(" + previous + ")"), n);
            all.add(r);
            return r;
        }

        RunReport current() {
            return all.get(all.size() - 1);
        }

        List<RunReport> all() {
            return all;
        }
    }

    private static JavaRDD<Positioned> sample(JavaSparkContext sc, JavaRDD<Positioned> sorted, DataJob job, long n,
            RunReport report) {
        long seed = job.seed();
        if (job.count() != null) {
            report.put("count", job.count());
            Broadcast<BitSet> chosen = sc.broadcast(Sampling.chosen(n, job.count(), seed));
            return sorted.zipWithIndex().filter(t -> chosen.value().get((int) (long) t._2())).map(t -> t._1());
        }
        double fraction = job.fraction();
        report.put("fraction", fraction);
        return sorted.zipWithIndex().filter(t -> Sampling.keeps(seed, t._2(), fraction)).map(t -> t._1());
    }

    static void write(JavaRDD<Positioned> sorted, Path output, Format format, String captionPrompt) {
        String dir = output.toAbsolutePath().normalize().toString(); // a Path is not serializable: its text is
        sorted.map(p -> SampleWriter.line(p.sample(), format, captionPrompt, Path.of(dir))).saveAsTextFile(dir);
    }
}
