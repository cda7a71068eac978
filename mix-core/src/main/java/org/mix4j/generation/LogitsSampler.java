package org.mix4j.generation;

import java.util.Arrays;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import org.mix4j.pipeline.GenerationSettings;

/**
 * Picks the next token from one row of final logits with Hugging Face's processor semantics, in
 * its order: repetition penalty (CTRL, Keskar et al. 2019: positive logits divided, negative ones
 * multiplied), then, when sampling, temperature, top-k (ties with the k-th value kept), top-p
 * (nucleus: drop the low tail whose cumulative probability is at most {@code 1 - top_p}, keeping
 * at least one token), softmax and a draw. Greedy takes the first maximum, as {@code argmax} does.
 * The random numbers come from a {@link SplittableRandom} seeded once per generation.
 */
public final class LogitsSampler {

    private final GenerationSettings settings;
    private final SplittableRandom random;

    public LogitsSampler(GenerationSettings settings) {
        this.settings = settings;
        this.random = new SplittableRandom(settings.seed());
    }

    /** Whether tokens are drawn (otherwise greedy); a temperature of 0 always means greedy. */
    public boolean sampling() {
        return settings.sampling() && settings.temperature() > 0;
    }

    /**
     * @param logits the row's logits; modified in place
     * @param seen ids of the prompt and the tokens generated so far (repetition penalty)
     */
    public int next(float[] logits, long[] seen) {
        applyRepetitionPenalty(logits, seen, (float) settings.repetitionPenalty());
        if (!sampling()) {
            return argMax(logits);
        }
        float temperature = (float) settings.temperature();
        for (int i = 0; i < logits.length; i++) {
            logits[i] /= temperature;
        }
        if (settings.topK() > 0) {
            applyTopK(logits, settings.topK());
        }
        if (settings.topP() < 1) {
            applyTopP(logits, settings.topP());
        }
        return draw(softmax(logits));
    }

    static void applyRepetitionPenalty(float[] logits, long[] seen, float penalty) {
        if (penalty == 1f || seen == null) {
            return;
        }
        boolean[] done = new boolean[logits.length];
        for (long id : seen) {
            if (id < 0 || id >= logits.length || done[(int) id]) {
                continue;
            }
            int i = (int) id;
            done[i] = true;
            logits[i] = logits[i] < 0 ? logits[i] * penalty : logits[i] / penalty;
        }
    }

    static int argMax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Keeps every logit at least as large as the k-th largest. */
    static void applyTopK(float[] logits, int k) {
        if (k >= logits.length) {
            return;
        }
        PriorityQueue<Float> largest = new PriorityQueue<>(k + 1);
        for (float v : logits) {
            if (largest.size() < k) {
                largest.add(v);
            } else if (v > largest.peek()) {
                largest.poll();
                largest.add(v);
            }
        }
        float threshold = largest.peek();
        for (int i = 0; i < logits.length; i++) {
            if (logits[i] < threshold) {
                logits[i] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /** Nucleus filtering on the probabilities of {@code logits}, sorted ascending as HF does. */
    static void applyTopP(float[] logits, double topP) {
        float[] probs = softmax(logits.clone());
        long[] order = new long[probs.length];
        for (int i = 0; i < probs.length; i++) {
            // non-negative floats order like their bit patterns; the low word keeps the index
            order[i] = ((long) Float.floatToIntBits(probs[i]) << 32) | i;
        }
        Arrays.sort(order); // ascending probability
        double cumulative = 0;
        for (int j = 0; j < order.length - 1; j++) { // the most probable token always stays
            int i = (int) (order[j] & 0xffffffffL);
            cumulative += probs[i];
            if (cumulative > 1 - topP) {
                break;
            }
            logits[i] = Float.NEGATIVE_INFINITY;
        }
    }

    static float[] softmax(float[] logits) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            float e = logits[i] == Float.NEGATIVE_INFINITY ? 0f : (float) Math.exp(logits[i] - max);
            logits[i] = e;
            sum += e;
        }
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) (logits[i] / sum);
        }
        return logits;
    }

    private int draw(float[] probs) {
        double u = random.nextDouble();
        double cumulative = 0;
        int last = 0;
        for (int i = 0; i < probs.length; i++) {
            if (probs[i] > 0) {
                cumulative += probs[i];
                last = i;
                if (u < cumulative) {
                    return i;
                }
            }
        }
        return last; // rounding left u above the total
    }
}
