package org.mix4j.pipelines.retrieval;

import java.util.Arrays;

/** Partial selection over a score vector: O(N log k), no full sort. */
final class TopK {

    private TopK() {}

    /** The {@code k}-th largest value of {@code scores} ({@code 1 <= k <= scores.length}); NaN counts as lowest. */
    static float kthLargest(float[] scores, int k) {
        if (k < 1 || k > scores.length) {
            throw new IllegalArgumentException("k = " + k + " for " + scores.length + " scores");
        }
        // min-heap of the k largest seen so far; heap[0] is the k-th largest
        float[] heap = new float[k];
        Arrays.fill(heap, Float.NEGATIVE_INFINITY);
        for (float s : scores) {
            if (s > heap[0]) {
                heap[0] = s;
                siftDown(heap);
            }
        }
        return heap[0];
    }

    /** Indices {@code i} (ascending) with {@code scores[i] >= threshold}. */
    static long[] atLeast(float[] scores, float threshold) {
        int n = 0;
        for (float s : scores) {
            if (s >= threshold) {
                n++;
            }
        }
        long[] out = new long[n];
        for (int i = 0, j = 0; i < scores.length; i++) {
            if (scores[i] >= threshold) {
                out[j++] = i;
            }
        }
        return out;
    }

    private static void siftDown(float[] heap) {
        int i = 0;
        int n = heap.length;
        while (true) {
            int left = 2 * i + 1;
            if (left >= n) {
                return;
            }
            int child = left + 1 < n && heap[left + 1] < heap[left] ? left + 1 : left;
            if (heap[child] >= heap[i]) {
                return;
            }
            float t = heap[i];
            heap[i] = heap[child];
            heap[child] = t;
            i = child;
        }
    }
}
