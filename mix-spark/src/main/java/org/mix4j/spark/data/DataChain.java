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
        List<RunReport> reports = new ArrayList<>();
        List<JavaRDD<?>> cached = new ArrayList<>();
        try {
            // 1. read (and convert), spread over the partitions
            JavaRDD<SampleSource.Read> spread = SampleSource.read(sc, job.input(), from, job.to(), job.captionPrompt(),
                    !job.skipBad()).repartition(job.partitions()).persist(StorageLevel.MEMORY_AND_DISK());
            cached.add(spread);
            SampleSource.Summary read = spread.filter(r -> r.summary() != null).collect().get(0).summary();
            JavaRDD<Positioned> samples = spread.filter(r -> r.sample() != null).map(SampleSource.Read::sample);
            long n = read.recordsRead() - read.badCount();
            RunReport step = new RunReport(job.to() != null ? "convert" : job.filter() != null ? "filter" : "sample")
                    .input(job.input(), read.recordsRead()).bad(read.badCount(), read.badListed());
            reports.add(step);
            if (job.to() != null) {
                step.put("from", from.id()).put("to", out.id());
                step = next(reports, job.filter() != null ? "filter" : "sample", n);
            }
            // 2. filter
            if (job.filter() != null) {
                List<Rule> rules = job.filter().rules(null);
                RuleTally tally = new RuleTally(rules.stream().map(Rule::name).toList());
                samples = stages.apply(samples, rules, tally).persist(StorageLevel.MEMORY_AND_DISK());
                cached.add(samples);
                n = samples.count();
                step.rules(tally.counts());
                step = job.samples() ? next(reports, "sample", n) : step;
            }
            // 3. sample, and write in input order
            JavaRDD<Positioned> sorted = samples.sortBy(Positioned::position, true, job.partitions());
            if (job.samples()) {
                sorted = sample(sc, sorted, job, n, step.put("seed", job.seed()));
            }
            cached.add(sorted.persist(StorageLevel.MEMORY_AND_DISK()));
            long written = sorted.count();
            write(sorted, job.output(), out, job.captionPrompt());
            step.output(job.output(), written);
            return reports;
        } finally {
            stages.release();
            cached.forEach(JavaRDD::unpersist);
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
                captionPrompt != null ? captionPrompt : Format.DEFAULT_CAPTION_PROMPT, !skipBad)
                .repartition(partitions).persist(StorageLevel.MEMORY_AND_DISK());
        try {
            SampleSource.Summary read = spread.filter(r -> r.summary() != null).collect().get(0).summary();
            Stats stats = spread.filter(r -> r.sample() != null).aggregate(Stats.empty(),
                    (st, r) -> st.add(r.sample().sample(), readImages), Stats::merge);
            return stats.json(in.toString(), from.id(), read.recordsRead(), read.badCount());
        } finally {
            spread.unpersist();
        }
    }

    /** Ends the last report's step with {@code n} samples and starts {@code command}'s report with them. */
    private static RunReport next(List<RunReport> reports, String command, long n) {
        reports.get(reports.size() - 1).output(Path.of("(" + command + ")"), n);
        RunReport r = new RunReport(command).input(Path.of("(" + reports.get(reports.size() - 1).json()
                .get("command").getAsString() + ")"), n);
        reports.add(r);
        return r;
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

    private static void write(JavaRDD<Positioned> sorted, Path output, Format format, String captionPrompt) {
        String dir = output.toAbsolutePath().normalize().toString(); // a Path is not serializable: its text is
        sorted.map(p -> SampleWriter.line(p.sample(), format, captionPrompt, Path.of(dir))).saveAsTextFile(dir);
    }
}
