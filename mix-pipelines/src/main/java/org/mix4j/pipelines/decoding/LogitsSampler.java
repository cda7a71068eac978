package org.mix4j.pipelines.decoding;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.mix4j.pipelines.task.DecodingSettings;

/**
 * Picks the next token from one row of final logits with Hugging Face's processor semantics, in
 * its order: repetition penalty (CTRL, Keskar et al. 2019: positive logits divided, negative ones
 * multiplied), then, when sampling, temperature, top-k (ties with the k-th value kept), top-p
 * (nucleus: drop the low tail whose cumulative probability is at most {@code 1 - top_p}, keeping
 * at least one token), softmax and a draw. Greedy takes the first maximum, as {@code argmax} does.
 * The random numbers come from a {@link SplittableRandom} seeded once per generation.
 */
public final class LogitsSampler {

    private final DecodingSettings settings;
    private final SplittableRandom random;

    public LogitsSampler(DecodingSettings settings) {
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
        // the k largest seen so far in a min-heap of primitives (a vocabulary of 150k values boxed
        // into a PriorityQueue cost milliseconds per token)
        float[] heap = new float[k];
        int size = 0;
        for (float v : logits) {
            if (size < k) {
                heap[size] = v;
                siftUp(heap, size++);
            } else if (v > heap[0]) {
                heap[0] = v;
                siftDown(heap, k);
            }
        }
        float threshold = heap[0];
        for (int i = 0; i < logits.length; i++) {
            if (logits[i] < threshold) {
                logits[i] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    private static void siftUp(float[] heap, int at) {
        int i = at;
        while (i > 0) {
            int parent = (i - 1) / 2;
            if (!(heap[i] < heap[parent])) {
                return;
            }
            float t = heap[i];
            heap[i] = heap[parent];
            heap[parent] = t;
            i = parent;
        }
    }

    private static void siftDown(float[] heap, int size) {
        int i = 0;
        while (true) {
            int smallest = i;
            int left = 2 * i + 1;
            if (left < size && heap[left] < heap[smallest]) {
                smallest = left;
            }
            if (left + 1 < size && heap[left + 1] < heap[smallest]) {
                smallest = left + 1;
            }
            if (smallest == i) {
                return;
            }
            float t = heap[i];
            heap[i] = heap[smallest];
            heap[smallest] = t;
            i = smallest;
        }
    }

    /**
     * Nucleus filtering on the probabilities of {@code logits}, sorted ascending as HF does. Only
     * the finite logits take part: filtered ones (-inf, e.g. after top-k) have probability 0 and
     * would only be re-filtered, so after top-k the sort covers k values, not the vocabulary.
     */
    static void applyTopP(float[] logits, double topP) {
        int count = 0;
        for (float v : logits) {
            if (v != Float.NEGATIVE_INFINITY) {
                count++;
            }
        }
        int[] kept = new int[count]; // vocabulary indices, ascending
        float[] probs = new float[count];
        for (int i = 0, j = 0; i < logits.length; i++) {
            if (logits[i] != Float.NEGATIVE_INFINITY) {
                kept[j] = i;
                probs[j++] = logits[i];
            }
        }
        softmax(probs);
        long[] order = new long[count];
        for (int j = 0; j < count; j++) {
            // non-negative floats order like their bit patterns; the low word keeps the position, and
            // positions ascend with the vocabulary index, so ties stay in index order
            order[j] = ((long) Float.floatToIntBits(probs[j]) << 32) | j;
        }
        Arrays.sort(order); // ascending probability
        double cumulative = 0;
        for (int n = 0; n < order.length - 1; n++) { // the most probable token always stays
            int j = (int) (order[n] & 0xffffffffL);
            cumulative += probs[j];
            if (cumulative > 1 - topP) {
                break;
            }
            logits[kept[j]] = Float.NEGATIVE_INFINITY;
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
