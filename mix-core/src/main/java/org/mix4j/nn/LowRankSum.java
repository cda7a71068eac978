package org.mix4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** The output a {@link Linear}'s low-rank adapters add: trained ones and a request's ({@link CallAdapters}). */
final class LowRankSum {

    private LowRankSum() {}

    /**
     * Every adapter's {@code B (A x) * scaling} at its rows: {@code [..., out]}. Adapters on disjoint
     * rows (a fused projection's q/k/v) are laid side by side with zeros in the gaps, one
     * concatenation for all instead of a zero-padded full-width array each.
     */
    static NDArray of(NDArray x, List<Linear.Adapter> adapters, long out) {
        List<Linear.Adapter> ordered = new ArrayList<>(adapters);
        ordered.sort(Comparator.comparingLong(Linear.Adapter::from));
        NDList parts = new NDList();
        long at = 0;
        for (Linear.Adapter adapter : ordered) {
            if (adapter.from() < at) { // overlapping rows: each adapter padded to the full width, summed
                NDArray sum = null;
                for (Linear.Adapter a : adapters) {
                    NDArray wide = widen(update(x, a), a.from(), a.to(), out);
                    sum = sum == null ? wide : sum.add(wide);
                }
                return sum;
            }
            if (adapter.from() > at) {
                parts.add(zeros(x, adapter.from() - at));
            }
            parts.add(update(x, adapter));
            at = adapter.to();
        }
        if (at < out) {
            parts.add(zeros(x, out - at));
        }
        return parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, -1);
    }

    /** One adapter's {@code B (A x) * scaling}: {@code [..., to - from]}. */
    private static NDArray update(NDArray x, Linear.Adapter adapter) {
        NDArray low = x.matMul(Linear.view(adapter.a().transpose(), x)); // [..., r]
        NDArray delta = low.matMul(Linear.view(adapter.b().transpose(), x)); // [..., to - from]
        return delta.mul(scaling(x, adapter));
    }

    /** Zeros {@code [..., width]} shaped like {@code x}'s leading dimensions. */
    private static NDArray zeros(NDArray x, long width) {
        Shape lead = x.getShape().slice(0, x.getShape().dimension() - 1);
        return x.getManager().zeros(lead.add(width), x.getDataType());
    }

    /** {@code delta [..., to - from]} placed at outputs {@code from .. to} of a {@code [..., out]} array of zeros. */
    private static NDArray widen(NDArray delta, long from, long to, long out) {
        if (from == 0 && to == out) {
            return delta;
        }
        NDList parts = new NDList();
        if (from > 0) {
            parts.add(zeros(delta, from));
        }
        parts.add(delta);
        if (to < out) {
            parts.add(zeros(delta, out - to));
        }
        return NDArrays.concat(parts, -1);
    }

    /** The adapter's scaling as a native 0-d array (see {@link Autograd}: a number would be freed before the backward pass). */
    private static NDArray scaling(NDArray x, Linear.Adapter adapter) {
        return x.getManager().full(new Shape(), (float) adapter.scaling(), x.getDataType());
    }
}
