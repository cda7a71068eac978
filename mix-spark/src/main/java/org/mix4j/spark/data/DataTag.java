package org.mix4j.spark.data;

import java.nio.file.Path;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.mix4j.data.ops.RunReport;
import org.mix4j.data.ops.Tagger;
import org.mix4j.data.records.Format;
import org.mix4j.data.records.SampleReader;
import org.mix4j.data.records.SampleWriter;
import org.mix4j.spark.ExecutorRuntime;

/**
 * {@code mix data tag} as a Spark job: the local {@link Tagger} reaches each executor once (a
 * broadcast) and loads its understanding pipeline there on first use through {@link ExecutorRuntime},
 * as the CLIP-score rule does, so an executor loads the model once however many tasks it runs
 * (the pipeline answers concurrent calls). The output is in input order, in the input's format.
 */
public final class DataTag {

    /** A sample after the tagger, and whether it was tagged (the tagger returns an untaggable sample as it is). */
    private record Tagged(Positioned sample, boolean tagged) implements java.io.Serializable {}

    private DataTag() {}

    /** @param from the input's format, or {@code null} to detect it */
    public static RunReport run(SparkSession spark, Path input, Path output, Path pipeline, String prompt, int maxTags,
            Format from, String captionPrompt, boolean skipBad, int partitions) {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        SampleWriter.checkNotAnInput(output, List.of(input));
        Format format = from != null ? from : SampleReader.detect(input);
        String captions = captionPrompt != null ? captionPrompt : Format.DEFAULT_CAPTION_PROMPT;
        Tagger tagger = new Tagger(pipeline.toAbsolutePath(), prompt, maxTags, null);
        Broadcast<Tagger> shared = sc.broadcast(tagger);
        JavaRDD<SampleSource.Read> read = SampleSource.read(sc, input, format, null, captions, !skipBad, partitions)
                .persist(StorageLevel.MEMORY_AND_DISK());
        JavaRDD<Tagged> tagged = read.filter(r -> r.sample() != null).map(SampleSource.Read::sample)
                .mapPartitions(samples -> {
                    Tagger t = shared.value(); // one copy a JVM: one pipeline
                    t.withLoader(ExecutorRuntime.loader());
                    return new MappedIterator<>(samples, p -> {
                        var s = t.apply(p.sample());
                        return new Tagged(new Positioned(p.position(), s), s != p.sample());
                    });
                }).persist(StorageLevel.MEMORY_AND_DISK());
        try {
            SampleSource.Summary summary = DataChain.summary(read);
            long done = tagged.filter(Tagged::tagged).count();
            long all = tagged.count();
            DataChain.write(tagged.map(Tagged::sample).sortBy(Positioned::position, true, partitions), output, format,
                    captions);
            return new RunReport("tag").put("from", format.id()).put("to", format.id())
                    .input(input, summary.recordsRead()).output(output, all)
                    .bad(summary.badCount(), summary.badListed()).put("tagged", done).put("without_image", all - done);
        } finally {
            tagged.unpersist();
            read.unpersist();
            tagger.close(); // the driver's copy (local mode: the one the tasks used); executors' end with them
        }
    }
}
