package org.mix4j.spark.data;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;
import org.mix4j.data.filter.ClipScore;
import org.mix4j.data.filter.DuplicatePairs;
import org.mix4j.data.filter.ImageRules;
import org.mix4j.data.filter.Rule;
import org.mix4j.data.filter.SampleFilter;
import org.mix4j.data.filter.SampleImages;
import org.mix4j.image.ImageDecoder;
import org.mix4j.spark.ExecutorRuntime;
import scala.Tuple2;

/**
 * mix-data's filter rules as Spark transformations, in the local tool's order and with its counts.
 * Rules that look at one sample run together in a {@code mapPartitions} through
 * {@link SampleFilter#run} (the rules reach each executor once, as a broadcast, so the CLIP-score
 * rule loads its pipeline once an executor, through {@link ExecutorRuntime}). The two rules that
 * remember earlier samples become steps of their own that give the local stream's answer:
 * {@code dedup} groups by {@link DuplicatePairs#key} and keeps each group's first sample by input
 * position; {@code near_duplicate} computes the perceptual hashes on the executors and runs
 * {@link ImageRules.NearDuplicate#admit} over them on the driver in input order (its memory: a few
 * words a sample, as in the local run).
 */
final class FilterStages {

    private final JavaSparkContext sc;
    private final List<JavaRDD<?>> cached = new ArrayList<>();

    FilterStages(JavaSparkContext sc) {
        this.sc = sc;
    }

    /** The samples that pass every rule; {@code tally} counts what each removed and rewrote. */
    JavaRDD<Positioned> apply(JavaRDD<Positioned> in, List<Rule> rules, RuleTally tally) {
        JavaRDD<Positioned> out = in;
        List<Rule> run = new ArrayList<>();
        for (Rule rule : rules) {
            if (rule instanceof DuplicatePairs || rule instanceof ImageRules.NearDuplicate) {
                out = perSample(out, run, tally);
                run = new ArrayList<>();
                out = rule instanceof ImageRules.NearDuplicate nd ? nearDuplicate(out, nd, tally) : dedup(out, tally);
            } else {
                run.add(rule);
            }
        }
        return perSample(out, run, tally);
    }

    /** Frees the steps' cached data (once the job's output is written). */
    void release() {
        cached.forEach(JavaRDD::unpersist);
        cached.clear();
    }

    private JavaRDD<Positioned> perSample(JavaRDD<Positioned> in, List<Rule> rules, RuleTally tally) {
        if (rules.isEmpty()) {
            return in;
        }
        Broadcast<List<Rule>> shared = sc.broadcast(List.copyOf(rules));
        JavaRDD<Judged> judged = keep(in.mapPartitions(samples -> {
            for (Rule rule : shared.value()) {
                if (rule instanceof ClipScore clip) {
                    clip.withLoader(ExecutorRuntime.loader()); // the broadcast's one copy a JVM: one pipeline
                }
            }
            SampleFilter filter = new SampleFilter(shared.value());
            return new MappedIterator<>(samples, p -> new Judged(p, filter.run(p.sample())));
        }));
        RuleTally counted = judged.aggregate(new RuleTally(List.of()),
                (t, j) -> t.add(j.in().position(), j.in().sample().id(), j.outcome()), RuleTally::merge);
        tally.merge(counted);
        return judged.filter(j -> j.outcome().sample() != null)
                .map(j -> new Positioned(j.in().position(), j.outcome().sample()));
    }

    private JavaRDD<Positioned> dedup(JavaRDD<Positioned> in, RuleTally tally) {
        JavaPairRDD<DuplicatePairs.Key, Positioned> keyed = in.mapToPair(p -> new Tuple2<>(DuplicatePairs.key(p.sample()), p));
        JavaPairRDD<DuplicatePairs.Key, Long> first = keyed.mapValues(Positioned::position).reduceByKey(Math::min);
        JavaRDD<Tuple2<Positioned, Boolean>> marked = keep(keyed.join(first)
                .map(t -> new Tuple2<>(t._2()._1(), t._2()._1().position() == t._2()._2())));
        RuleTally counted = marked.filter(t -> !t._2()).aggregate(new RuleTally(List.of()),
                (t, m) -> t.removed("dedup", m._1().position(), m._1().sample().id(), DuplicatePairs.REASON),
                RuleTally::merge);
        tally.merge(counted);
        return marked.filter(Tuple2::_2).map(Tuple2::_1);
    }

    private JavaRDD<Positioned> nearDuplicate(JavaRDD<Positioned> in, ImageRules.NearDuplicate rule, RuleTally tally) {
        JavaRDD<Positioned> samples = keep(in);
        List<Hashed> hashed = new ArrayList<>(samples.mapPartitions(it -> {
            ImageDecoder decoder = new ImageDecoder();
            return new MappedIterator<>(it, p -> new Hashed(p.position(), p.sample().id(),
                    ImageRules.NearDuplicate.hashes(new SampleImages(p.sample(), decoder))));
        }).collect());
        hashed.sort(Comparator.comparingLong(Hashed::position));
        Set<Long> dropped = new HashSet<>();
        for (Hashed h : hashed) {
            String reason = rule.admit(h.hashes());
            if (reason != null) {
                dropped.add(h.position());
                tally.removed(rule.name(), h.position(), h.id(), reason);
            }
        }
        Broadcast<Set<Long>> drop = sc.broadcast(dropped);
        return samples.filter(p -> !drop.value().contains(p.position()));
    }

    private <T> JavaRDD<T> keep(JavaRDD<T> rdd) {
        cached.add(rdd.persist(StorageLevel.MEMORY_AND_DISK()));
        return rdd;
    }

    /** A sample and what the rules made of it. */
    private record Judged(Positioned in, SampleFilter.Outcome outcome) implements java.io.Serializable {}

    /** A sample's perceptual hashes. */
    private record Hashed(long position, String id, List<Long> hashes) implements java.io.Serializable {}
}
