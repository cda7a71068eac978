package org.mix4j.pipelines.decoding;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.mix4j.pipelines.task.DecodingSettings;

/** Logits processing with Hugging Face's semantics, on hand-made rows. */
class LogitsSamplerTest {

    private static final float NEG_INF = Float.NEGATIVE_INFINITY;

    @Test
    void repetitionPenaltyDividesPositiveAndMultipliesNegativeOnce() {
        float[] logits = {2f, -1f, 3f, 0.5f};
        LogitsSampler.applyRepetitionPenalty(logits, new long[] {0, 1, 1, 0}, 2f);
        assertArrayEquals(new float[] {1f, -2f, 3f, 0.5f}, logits);
    }

    @Test
    void topKKeepsTiesWithTheKthValue() {
        float[] logits = {1f, 5f, 3f, 3f, 0f};
        LogitsSampler.applyTopK(logits, 2);
        assertArrayEquals(new float[] {NEG_INF, 5f, 3f, 3f, NEG_INF}, logits);
    }

    @Test
    void topPDropsTheTailWhoseMassIsAtMostOneMinusP() {
        // probabilities 0.5, 0.25, 0.125, 0.125 (logits are their logs): with top_p 0.7 the
        // ascending cumulative sums are 0.125, 0.25, 0.5, 1.0; those <= 0.3 are dropped
        float[] logits = {(float) Math.log(0.5), (float) Math.log(0.25), (float) Math.log(0.125), (float) Math.log(0.125)};
        LogitsSampler.applyTopP(logits, 0.7);
        assertEquals((float) Math.log(0.5), logits[0]);
        assertEquals((float) Math.log(0.25), logits[1]);
        assertEquals(NEG_INF, logits[2]);
        assertEquals(NEG_INF, logits[3]);
    }

    @Test
    void greedyTakesTheFirstMaximumAfterThePenalty() {
        DecodingSettings s = new DecodingSettings(5, 0, 0, 1.0, 4.0, 0, List.of(), List.of(), null);
        // token 0 would win, but it was seen: 4 / 4 = 1 < 3; tokens 1 and 2 tie at 3
        assertEquals(1, new LogitsSampler(s).next(new float[] {4f, 3f, 3f}, new long[] {0}));
    }

    @Test
    void samplingDrawsOnlyFromTheFilteredSet() {
        DecodingSettings s = new DecodingSettings(5, 0.7, 2, 1.0, 1.0, 42, List.of(), List.of(), true);
        LogitsSampler sampler = new LogitsSampler(s);
        Set<Integer> drawn = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            drawn.add(sampler.next(new float[] {1f, 2f, 0f, 1.9f}, null));
        }
        assertEquals(Set.of(1, 3), drawn);
    }

    @Test
    void zeroTemperatureIsGreedyEvenWhenSamplingIsRequested() {
        DecodingSettings s = new DecodingSettings(5, 0, 0, 1.0, 1.0, 0, List.of(), List.of(), true);
        assertTrue(!new LogitsSampler(s).sampling());
    }

    /** Top-k then top-p written the plain way: sort everything, compare, accumulate. */
    private static float[] reference(float[] logits, int k, double topP) {
        float[] out = logits.clone();
        float[] sorted = out.clone();
        java.util.Arrays.sort(sorted);
        float kth = sorted[sorted.length - k];
        for (int i = 0; i < out.length; i++) {
            if (out[i] < kth) {
                out[i] = NEG_INF;
            }
        }
        double max = Double.NEGATIVE_INFINITY;
        for (float v : out) {
            max = Math.max(max, v);
        }
        double[] p = new double[out.length];
        double sum = 0;
        for (int i = 0; i < out.length; i++) {
            p[i] = out[i] == NEG_INF ? 0 : Math.exp(out[i] - max);
            sum += p[i];
        }
        Integer[] order = new Integer[out.length];
        for (int i = 0; i < out.length; i++) {
            order[i] = i;
            p[i] /= sum;
        }
        java.util.Arrays.sort(order, (a, b) -> p[a] != p[b] ? Double.compare(p[a], p[b]) : Integer.compare(a, b));
        double cumulative = 0;
        for (int j = 0; j < order.length - 1; j++) {
            cumulative += p[order[j]];
            if (cumulative > 1 - topP) {
                break;
            }
            out[order[j]] = NEG_INF;
        }
        return out;
    }

    @Test
    void topKThenTopPOverALargeVocabularyKeepsWhatThePlainAlgorithmKeeps() {
        java.util.Random random = new java.util.Random(3);
        for (int trial = 0; trial < 20; trial++) {
            float[] logits = new float[5000];
            for (int i = 0; i < logits.length; i++) {
                logits[i] = (float) (random.nextGaussian() * 3);
            }
            logits[17] = logits[4000]; // a tie
            int k = 1 + random.nextInt(200);
            double topP = 0.05 + 0.9 * random.nextDouble();
            float[] expected = reference(logits, k, topP);
            float[] actual = logits.clone();
            LogitsSampler.applyTopK(actual, k);
            LogitsSampler.applyTopP(actual, topP);
            int kept = 0;
            for (int i = 0; i < logits.length; i++) {
                assertEquals(expected[i] == NEG_INF, actual[i] == NEG_INF, "trial " + trial + ", token " + i);
                kept += actual[i] == NEG_INF ? 0 : 1;
            }
            assertTrue(kept >= 1 && kept <= k + 1);
        }
    }
}
