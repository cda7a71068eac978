package org.mix4j.data.ops;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
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
        double sum = parts.stream().mapToDouble(Part::ratio).sum();
        if (parts.stream().anyMatch(p -> p.ratio() <= 0)) {
            throw new IllegalArgumentException("ratios must be positive: " + parts);
        }
        long[] have = files.stream().mapToLong(run::count).toArray();
        long target = total != null ? total : largestWithoutRepeats(parts, have, sum);
        long[] take = new long[parts.size()];
        List<BitSet> extra = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < parts.size(); i++) {
            take[i] = Math.round(target * parts.get(i).ratio() / sum);
            if (take[i] > 0 && have[i] == 0) {
                throw new IllegalArgumentException(files.get(i) + ": holds no samples to mix");
            }
            extra.add(have[i] == 0 ? new BitSet() : Sampling.chosen(have[i], take[i] % have[i], random.nextLong()));
        }
        RunReport report = new RunReport("mix").put("seed", seed);
        List<SampleReader> readers = new ArrayList<>();
        try {
            for (Path f : files) {
                readers.add(run.open(f));
            }
            Format format = readers.get(0).format();
            try (SampleWriter w = run.create(out, format, files)) {
                interleave(run, readers, have, take, extra, random, w);
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

    private static void interleave(DataRun run, List<SampleReader> readers, long[] have, long[] take,
            List<BitSet> extra, SplittableRandom random, SampleWriter w) {
        long[] left = take.clone();
        int[] position = new int[readers.size()];
        long remaining = java.util.Arrays.stream(left).sum();
        List<Sample> pending = new ArrayList<>();
        for (int i = 0; i < readers.size(); i++) {
            pending.add(null);
        }
        int[] copiesLeft = new int[readers.size()];
        while (remaining > 0) {
            long pick = random.nextLong(remaining);
            int i = 0;
            while (pick >= left[i]) {
                pick -= left[i++];
            }
            while (copiesLeft[i] == 0) { // the next sample of input i that is used, and how often
                SampleReader r = readers.get(i);
                Sample s = r.next();
                int p = position[i]++;
                copiesLeft[i] = (int) (take[i] / have[i]) + (extra.get(i).get(p) ? 1 : 0);
                pending.set(i, s);
            }
            run.write(w, pending.get(i));
            copiesLeft[i]--;
            left[i]--;
            remaining--;
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
