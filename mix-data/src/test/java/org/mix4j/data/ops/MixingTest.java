package org.mix4j.data.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.PrimitiveIterator;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MixingTest {

    private static List<Mixing.Part> parts(double... ratios) {
        List<Mixing.Part> parts = new ArrayList<>();
        for (int i = 0; i < ratios.length; i++) {
            parts.add(new Mixing.Part(Path.of("in" + i + ".jsonl"), ratios[i]));
        }
        return parts;
    }

    @Test
    void picksAreTheDrawsTheSequentialMixMade() {
        // mix data mix drew one nextLong a non-empty input for its extra copies, then one nextLong(remaining)
        // an output sample from the same generator; the plan must replay exactly that, so seeds keep their mixes
        long[] have = {7, 0, 30, 4};
        for (long seed : new long[] {0, 5, -9}) {
            Mixing.Plan plan = Mixing.Plan.of(parts(2, 0.001, 3, 1), have, 50L, seed);
            SplittableRandom random = new SplittableRandom(seed);
            for (long h : have) {
                if (h != 0) {
                    random.nextLong();
                }
            }
            long[] left = plan.take().clone();
            long remaining = plan.total();
            PrimitiveIterator.OfInt picks = plan.picks();
            for (long n = 0; n < plan.total(); n++) {
                long pick = random.nextLong(remaining);
                int i = 0;
                while (pick >= left[i]) {
                    pick -= left[i++];
                }
                left[i]--;
                remaining--;
                assertEquals(i, picks.nextInt(), "seed " + seed + ", output sample " + n);
            }
            assertEquals(false, picks.hasNext());
        }
    }

    @Test
    void copiesAddUpToEachInputsShare() {
        Mixing.Plan plan = Mixing.Plan.of(parts(1, 1), new long[] {3, 10}, 20L, 1);
        assertEquals(List.of(10L, 10L), List.of(plan.take()[0], plan.take()[1]));
        for (int i = 0; i < 2; i++) {
            long sum = 0;
            for (int k = 0; k < plan.have()[i]; k++) {
                sum += plan.copies(i, k);
            }
            assertEquals(plan.take()[i], sum, "input " + i);
        }
        for (int k = 0; k < 3; k++) {
            assertTrue(plan.copies(0, k) == 3 || plan.copies(0, k) == 4, "10 of 3: 3 each and one extra");
        }
        assertEquals(40, Mixing.Plan.of(parts(3, 1), new long[] {30, 100}, null, 0).total(), "no repeats: 30 + 10");
    }

    @Test
    void rejectsNonPositiveRatiosAndEmptyInputs() {
        assertThrows(IllegalArgumentException.class, () -> Mixing.Plan.of(parts(1, 0), new long[] {3, 3}, null, 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Mixing.Plan.of(parts(1, 1), new long[] {3, 0}, 4L, 0));
        assertEquals("in1.jsonl: holds no samples to mix", e.getMessage());
    }
}
