package org.mix4j.spark.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.PrimitiveIterator;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.mix4j.data.ops.Mixing;
import org.mix4j.data.ops.RunReport;
import org.mix4j.data.records.BadRecords;
import org.mix4j.data.records.Format;
import org.mix4j.data.records.SampleReader;
import org.mix4j.data.records.SampleWriter;
import scala.Tuple2;

/**
 * {@code mix data mix} as a Spark job, choosing the local tool's samples in its order. Each input is
 * read in splits and counted; the driver makes the local tool's {@link Mixing.Plan} from the counts
 * and replays its picks to give every use of every sample its output position (8 bytes an output
 * sample on the driver and in the broadcast); the executors emit each sample once per use at those
 * positions, and a sort by position writes the mix.
 */
public final class DataMix {

    /** Where the uses of one input's samples go: sample {@code k}'s are {@code out[start[k]..start[k+1])}. */
    private record Uses(long[] start, long[] out) implements java.io.Serializable {}

    private DataMix() {}

    /**
     * @param from the inputs' format, or {@code null} to detect each one's
     * @param to the output's format, or {@code null} for the first input's
     */
    public static RunReport run(SparkSession spark, List<Mixing.Part> parts, Path output, Long total, long seed,
            Format from, Format to, String captionPrompt, boolean skipBad, int partitions) {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<Path> files = parts.stream().map(Mixing.Part::file).toList();
        SampleWriter.checkNotAnInput(output, files);
        String prompt = captionPrompt != null ? captionPrompt : Format.DEFAULT_CAPTION_PROMPT;
        List<JavaRDD<?>> cached = new ArrayList<>();
        try {
            // 1. read and count each input; a sample's index among its input's samples, as the local reader counts
            List<JavaPairRDD<Long, Positioned>> indexed = new ArrayList<>();
            List<SampleSource.Summary> summaries = new ArrayList<>();
            long[] have = new long[files.size()];
            for (int i = 0; i < files.size(); i++) {
                Format format = from != null ? from : SampleReader.detect(files.get(i));
                JavaRDD<SampleSource.Read> read = SampleSource.read(sc, files.get(i), format, null, prompt, !skipBad,
                        partitions).persist(StorageLevel.MEMORY_AND_DISK());
                cached.add(read);
                SampleSource.Summary summary = DataChain.summary(read);
                summaries.add(summary);
                have[i] = summary.recordsRead() - summary.badCount();
                indexed.add(read.filter(r -> r.sample() != null).map(SampleSource.Read::sample)
                        .sortBy(Positioned::position, true, partitions).zipWithIndex().mapToPair(Tuple2::swap));
            }
            // 2. the local plan, its picks replayed: each use's output position
            Mixing.Plan plan = Mixing.Plan.of(parts, have, total, seed);
            Broadcast<List<Uses>> uses = sc.broadcast(uses(plan));
            // 3. each sample at its uses' positions, sorted
            JavaPairRDD<Long, Positioned> placed = null;
            for (int i = 0; i < files.size(); i++) {
                int input = i;
                JavaPairRDD<Long, Positioned> one = indexed.get(i).flatMapToPair(t -> {
                    Uses u = uses.value().get(input);
                    int k = (int) (long) t._1();
                    List<Tuple2<Long, Positioned>> out = new ArrayList<>();
                    for (long c = u.start()[k]; c < u.start()[k + 1]; c++) {
                        out.add(new Tuple2<>(u.out()[(int) c], t._2()));
                    }
                    return out.iterator();
                });
                placed = placed == null ? one : placed.union(one);
            }
            JavaRDD<Positioned> mixed = placed.sortByKey(true, partitions).values();
            Format first = from != null ? from : SampleReader.detect(files.get(0));
            DataChain.write(mixed, output, to != null ? to : first, prompt);
            return report(files, summaries, seed).output(output, plan.total());
        } finally {
            cached.forEach(JavaRDD::unpersist);
        }
    }

    /** The local tool's report: the records read from each input, their bad records in input order. */
    private static RunReport report(List<Path> files, List<SampleSource.Summary> summaries, long seed) {
        RunReport report = new RunReport("mix").put("seed", seed);
        long bad = 0;
        List<String> listed = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            report.input(files.get(i), summaries.get(i).recordsRead());
            bad += summaries.get(i).badCount();
            summaries.get(i).badListed().stream().limit(BadRecords.LISTED - listed.size()).forEach(listed::add);
        }
        return report.bad(bad, listed);
    }

    /** Each input's uses: the plan's copies a sample, and the output positions its picks give them. */
    private static List<Uses> uses(Mixing.Plan plan) {
        int n = plan.take().length;
        long[][] out = new long[n][];
        long[][] start = new long[n][];
        for (int i = 0; i < n; i++) {
            if (plan.take()[i] > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("input " + (i + 1) + " gives " + plan.take()[i]
                        + " samples: more than one job can place; mix fewer");
            }
            out[i] = new long[(int) plan.take()[i]];
            start[i] = new long[(int) plan.have()[i] + 1];
            for (int k = 0; k < plan.have()[i]; k++) {
                start[i][k + 1] = start[i][k] + plan.copies(i, k);
            }
        }
        int[] used = new int[n];
        long position = 0;
        for (PrimitiveIterator.OfInt picks = plan.picks(); picks.hasNext(); ) {
            int i = picks.nextInt();
            out[i][used[i]++] = position++;
        }
        List<Uses> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            all.add(new Uses(start[i], out[i]));
        }
        return all;
    }
}
