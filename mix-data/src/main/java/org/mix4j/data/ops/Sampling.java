package org.mix4j.data.ops;

import java.nio.file.Path;
import java.util.BitSet;
import java.util.SplittableRandom;

/**
 * {@code mix data sample}: a seeded random subset in input order. {@code count} takes exactly that
 * many (two passes: count, then keep the chosen positions, a bit each); {@code fraction} keeps each
 * sample with that probability (one pass). Both choices are functions of the seed and the sample's
 * position in the input (and, for {@code count}, the input's size), not of how the input is read,
 * so the Spark job selects the same samples ({@link #chosen}, {@link #keeps}).
 */
public final class Sampling {

    /** {@link SplittableRandom}'s increment of its seed per draw (its default gamma). */
    private static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;

    private Sampling() {}

    public static RunReport count(DataRun run, Path in, Path out, long count, long seed) {
        long total = run.count(in);
        BitSet chosen = chosen(total, count, seed);
        long[] position = {0};
        return run.transform(in, out, s -> chosen.get((int) position[0]++) ? s : null,
                new RunReport("sample").put("seed", seed).put("count", count));
    }

    public static RunReport fraction(DataRun run, Path in, Path out, double fraction, long seed) {
        if (fraction < 0 || fraction > 1) {
            throw new IllegalArgumentException("--fraction must be between 0 and 1, got " + fraction);
        }
        long[] position = {0};
        return run.transform(in, out, s -> keeps(seed, position[0]++, fraction) ? s : null,
                new RunReport("sample").put("seed", seed).put("fraction", fraction));
    }

    /**
     * Whether {@code --fraction} keeps the sample at {@code position}: the position-th draw of a
     * {@link SplittableRandom} seeded with {@code seed}, found directly (a seed advances by the
     * generator's fixed gamma per draw), so a sample's fate depends on its position alone.
     */
    public static boolean keeps(long seed, long position, double fraction) {
        return new SplittableRandom(seed + position * GOLDEN_GAMMA).nextDouble() < fraction;
    }

    /** {@code k} of the positions {@code 0..n-1} (all when {@code k >= n}), chosen by Floyd's algorithm. */
    public static BitSet chosen(long n, long k, long seed) {
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
