package org.mix4j.data.ops;

import java.nio.file.Path;
import java.util.BitSet;
import java.util.SplittableRandom;

/**
 * {@code mix data sample}: a seeded random subset in input order. {@code count} takes exactly that
 * many (two passes: count, then keep the chosen positions, a bit each); {@code fraction} keeps each
 * sample with that probability (one pass).
 */
public final class Sampling {

    private Sampling() {}

    public static RunReport count(DataRun run, Path in, Path out, long count, long seed) {
        long total = run.count(in);
        BitSet chosen = choose(total, count, seed);
        long[] position = {0};
        return run.transform(in, out, s -> chosen.get((int) position[0]++) ? s : null,
                new RunReport("sample").put("seed", seed).put("count", count));
    }

    public static RunReport fraction(DataRun run, Path in, Path out, double fraction, long seed) {
        if (fraction < 0 || fraction > 1) {
            throw new IllegalArgumentException("--fraction must be between 0 and 1, got " + fraction);
        }
        SplittableRandom random = new SplittableRandom(seed);
        return run.transform(in, out, s -> random.nextDouble() < fraction ? s : null,
                new RunReport("sample").put("seed", seed).put("fraction", fraction));
    }

    /** {@code k} of the positions {@code 0..n-1} (all when {@code k >= n}), chosen by Floyd's algorithm. */
    static BitSet choose(long n, long k, long seed) {
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(n + " samples: more than this tool can index; split the file first");
        }
        BitSet chosen = new BitSet((int) n);
        if (k >= n) {
            chosen.set(0, (int) n);
            return chosen;
        }
        SplittableRandom random = new SplittableRandom(seed);
        for (int j = (int) (n - k); j < n; j++) {
            int t = random.nextInt(j + 1);
            chosen.set(chosen.get(t) ? j : t);
        }
        return chosen;
    }
}
