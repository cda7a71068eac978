package org.mix4j.pipelines.generation;

/**
 * A seeded source of standard normal numbers that gives the same sequence on every machine and
 * Java version: xoshiro256** (Blackman and Vigna, "Scrambled Linear Pseudorandom Number
 * Generators", 2021) seeded through SplitMix64, and the Box-Muller transform computed with
 * {@link StrictMath}.
 *
 * <p>It does not reproduce PyTorch's generator: a seed gives different images here than in
 * diffusers. Reproducing a diffusers image exactly needs its initial latents injected.
 */
public final class GaussianGenerator {

    private long s0;
    private long s1;
    private long s2;
    private long s3;

    public GaussianGenerator(long seed) {
        long x = seed;
        s0 = splitMix(x += 0x9E3779B97F4A7C15L);
        s1 = splitMix(x += 0x9E3779B97F4A7C15L);
        s2 = splitMix(x += 0x9E3779B97F4A7C15L);
        s3 = splitMix(x + 0x9E3779B97F4A7C15L);
    }

    private static long splitMix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public long nextLong() {
        long result = Long.rotateLeft(s1 * 5, 7) * 9;
        long t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = Long.rotateLeft(s3, 45);
        return result;
    }

    /** Uniform in [0, 1) with 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /**
     * Fills {@code out[from, to)} with standard normal values, two per Box-Muller pair; the spare
     * value of an odd-length fill is discarded, so each fill starts on a fresh pair.
     */
    public void fill(float[] out, int from, int to) {
        for (int i = from; i < to; i += 2) {
            double u1 = 1.0 - nextDouble(); // (0, 1]: log stays finite
            double u2 = nextDouble();
            double r = StrictMath.sqrt(-2.0 * StrictMath.log(u1));
            double angle = 2.0 * StrictMath.PI * u2;
            out[i] = (float) (r * StrictMath.cos(angle));
            if (i + 1 < to) {
                out[i + 1] = (float) (r * StrictMath.sin(angle));
            }
        }
    }
}
