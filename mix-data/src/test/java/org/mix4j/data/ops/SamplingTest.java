package org.mix4j.data.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.BitSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SamplingTest {

    @Test
    void fractionKeepsWhatTheSequentialGeneratorKept() {
        // mix data sample --fraction drew one SplittableRandom(seed) value per sample in order; the
        // positional draw must keep exactly those samples, so earlier seeds still select the same sets
        for (long seed : new long[] {0, 7, -3, Long.MAX_VALUE}) {
            SplittableRandom sequential = new SplittableRandom(seed);
            for (long position = 0; position < 2000; position++) {
                assertEquals(sequential.nextDouble() < 0.37, Sampling.keeps(seed, position, 0.37),
                        "seed " + seed + ", position " + position);
            }
        }
    }

    @Test
    void chosenTakesExactlyCountPositionsFixedBySeed() {
        BitSet a = Sampling.chosen(500, 120, 7);
        assertEquals(120, a.cardinality());
        assertEquals(a, Sampling.chosen(500, 120, 7));
        assertEquals(500, Sampling.chosen(500, 600, 7).cardinality());
    }
}
