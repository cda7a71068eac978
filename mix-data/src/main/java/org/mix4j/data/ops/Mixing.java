package org.mix4j.data.ops;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.PrimitiveIterator;
import java.util.SplittableRandom;
import org.mix4j.data.records.Format;
import org.mix4j.data.records.Sample;
import org.mix4j.data.records.SampleReader;
import org.mix4j.data.records.SampleWriter;

/**
 * {@code mix data mix}: several inputs into one file by ratios, seeded. Input {@code i} gives
 * {@code round(total * ratio_i / sum)} samples: a seeded subset, or every sample repeated and a
 * subset of the rest when it has fewer. Without a total, the largest that repeats nothing. The
 * inputs are interleaved at random (the next sample comes from input {@code i} with the share of
 * what it still has to give), reading each file once after counting it: memory is a bit a sample.
 */
public final class Mixing {

    /** One input and its ratio. */
    public record Part(Path file, double ratio) {}

    private Mixing() {}

    public static RunReport mix(DataRun run, List<Part> parts, Path out, Long total, long seed) {
        List<Path> files = parts.stream().map(Part::file).toList();
        SampleWriter.checkNotAnInput(out, files);
        Plan.checkRatios(parts);
        Plan plan = Plan.of(parts, files.stream().mapToLong(run::count).toArray(), total, seed);
        RunReport report = new RunReport("mix").put("seed", seed);
        List<SampleReader> readers = new ArrayList<>();
        try {
            for (Path f : files) {
                readers.add(run.open(f));
            }
            Format format = readers.get(0).format();
            try (SampleWriter w = run.create(out, format, files)) {
                interleave(run, readers, plan, w);
                w.commit();
                report.output(out, w.written());
            }
            for (int i = 0; i < parts.size(); i++) {
                report.input(files.get(i), readers.get(i).recordsRead());
            }
        } finally {
            readers.forEach(SampleReader::close);
        }
        return report.bad(run.bad());
    }

    /** Writes the plan's picks in order, each the current sample of its input as often as it is used. */
    private static void interleave(DataRun run, List<SampleReader> readers, Plan plan, SampleWriter w) {
        int[] position = new int[readers.size()];
        int[] copiesLeft = new int[readers.size()];
        Sample[] pending = new Sample[readers.size()];
        for (PrimitiveIterator.OfInt picks = plan.picks(); picks.hasNext(); ) {
            int i = picks.nextInt();
            while (copiesLeft[i] == 0) { // the next sample of input i that is used, and how often
                pending[i] = readers.get(i).next();
                copiesLeft[i] = plan.copies(i, position[i]++);
            }
            run.write(w, pending[i]);
            copiesLeft[i]--;
        }
    }

    /**
     * What a mix takes and in which order, from the inputs' sample counts, the ratios, the total and
     * the seed alone (not from the samples): how often each input's {@code k}-th sample is used
     * ({@link #copies}) and which input each output sample comes from ({@link #picks}). The local
     * tool streams through it; the Spark job ({@code DataMain mix}) replays the picks on the driver
     * to give each use of each sample its output position.
     *
     * @param have the samples in each input
     * @param take how many samples each input gives
     * @param extra per input, the samples used once more than {@code take / have} times
     */
    public record Plan(long[] have, long[] take, List<BitSet> extra, long seed) implements java.io.Serializable {

        /** Fails on a ratio that is not positive. */
        static void checkRatios(List<Part> parts) {
            if (parts.stream().anyMatch(p -> !(p.ratio() > 0))) {
                throw new IllegalArgumentException("ratios must be positive: " + parts);
            }
        }

        /** The plan for inputs holding {@code have} samples; {@code total} {@code null}: the largest without repeats. */
        public static Plan of(List<Part> parts, long[] have, Long total, long seed) {
            checkRatios(parts);
            double sum = parts.stream().mapToDouble(Part::ratio).sum();
            long target = total != null ? total : largestWithoutRepeats(parts, have, sum);
            long[] take = new long[parts.size()];
            List<BitSet> extra = new ArrayList<>();
            SplittableRandom random = new SplittableRandom(seed);
            for (int i = 0; i < parts.size(); i++) {
                take[i] = Math.round(target * parts.get(i).ratio() / sum);
                if (take[i] > 0 && have[i] == 0) {
                    throw new IllegalArgumentException(parts.get(i).file() + ": holds no samples to mix");
                }
                extra.add(have[i] == 0 ? new BitSet() : Sampling.chosen(have[i], take[i] % have[i], random.nextLong()));
            }
            return new Plan(have.clone(), take, List.copyOf(extra), seed);
        }

        /** How often input {@code input}'s {@code k}-th sample (0-based, bad records not counted) is in the mix. */
        public int copies(int input, long k) {
            return have[input] == 0 ? 0 : (int) (take[input] / have[input]) + (extra.get(input).get((int) k) ? 1 : 0);
        }

        /** The samples in the mix. */
        public long total() {
            return Arrays.stream(take).sum();
        }

        /**
         * The input of each output sample in order: the next comes from input {@code i} with the share
         * of what it still has to give, drawn from the seed's generator after the draws of
         * {@link #of} (so earlier seeds give the mixes they gave).
         */
        public PrimitiveIterator.OfInt picks() {
            SplittableRandom random = new SplittableRandom(seed);
            for (int i = 0; i < take.length; i++) {
                if (have[i] != 0) {
                    random.nextLong();
                }
            }
            long[] left = take.clone();
            return new PrimitiveIterator.OfInt() {
                private long remaining = total();

                @Override
                public boolean hasNext() {
                    return remaining > 0;
                }

                @Override
                public int nextInt() {
                    if (remaining == 0) {
                        throw new NoSuchElementException();
                    }
                    long pick = random.nextLong(remaining);
                    int i = 0;
                    while (pick >= left[i]) {
                        pick -= left[i++];
                    }
                    left[i]--;
                    remaining--;
                    return i;
                }
            };
        }
    }

    private static long largestWithoutRepeats(List<Part> parts, long[] have, double sum) {
        double best = Double.MAX_VALUE;
        for (int i = 0; i < parts.size(); i++) {
            best = Math.min(best, have[i] * sum / parts.get(i).ratio());
        }
        return (long) Math.floor(best + 1e-9);
    }
}
