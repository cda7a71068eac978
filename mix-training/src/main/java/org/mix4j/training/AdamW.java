package org.mix4j.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.HashMap;
import java.util.Map;

/**
 * AdamW (Loshchilov and Hutter 2019) exactly as {@code torch.optim.AdamW} computes it: decoupled
 * weight decay {@code p *= 1 - lr * wd}, then the Adam moments with bias correction,
 * {@code p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)}. The moments live in the
 * optimizer's own manager, one pair per parameter name; the gradients are zeroed after the update.
 */
public final class AdamW implements AutoCloseable {

    /** The hyper-parameters; the learning rate comes with each step (a schedule sets it). */
    public record Settings(double beta1, double beta2, double eps, double weightDecay) {

        public static final Settings DEFAULT = new Settings(0.9, 0.999, 1e-8, 0.01);

        public Settings {
            if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
                throw new IllegalArgumentException("betas must be in [0, 1), got " + beta1 + ", " + beta2);
            }
            if (!(eps > 0) || !(weightDecay >= 0) || Double.isInfinite(eps) || Double.isInfinite(weightDecay)) {
                throw new IllegalArgumentException("eps must be > 0 and weight_decay >= 0 (finite), got " + eps + ", "
                        + weightDecay);
            }
        }
    }

    private final Settings settings;
    private final NDManager manager;
    private final Map<String, NDArray[]> moments = new HashMap<>();
    private long steps;

    public AdamW(Settings settings, NDManager parent) {
        this.settings = settings;
        this.manager = parent.newSubManager();
    }

    /**
     * Updates every parameter from its gradient at learning rate {@code lr}, then zeroes the
     * gradients. A parameter without weight decay is named in {@code noDecay}.
     */
    public void step(Map<String, NDArray> parameters, double lr, java.util.Set<String> noDecay) {
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("learning rate must be finite and >= 0, got " + lr);
        }
        steps++;
        double correction1 = 1 - Math.pow(settings.beta1(), steps);
        double correction2 = Math.sqrt(1 - Math.pow(settings.beta2(), steps));
        for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
            NDArray p = e.getValue();
            try (NDManager scope = manager.newSubManager()) {
                // every handle and temporary of the update is owned by the scope: a handle made from a
                // parameter or a moment would otherwise land in their managers and live as long as they do
                NDArray g = p.getGradient();
                g.attach(scope);
                NDArray[] mv = moments.computeIfAbsent(e.getKey(), k -> new NDArray[] {
                    manager.zeros(p.getShape(), p.getDataType()), manager.zeros(p.getShape(), p.getDataType())});
                NDArray data = p.stopGradient(); // the same storage, updated outside the graph
                data.attach(scope);
                if (!noDecay.contains(e.getKey()) && lr * settings.weightDecay() != 0) { // x 1 would be a wasted pass
                    data.muli(1 - lr * settings.weightDecay());
                }
                mv[0].muli(settings.beta1()).addi(g.mul(1 - settings.beta1()));
                mv[1].muli(settings.beta2()).addi(g.square().muli(1 - settings.beta2()));
                NDArray denom = mv[1].sqrt();
                denom.attach(scope);
                denom.divi(correction2).addi(settings.eps());
                NDArray update = mv[0].div(denom);
                update.attach(scope);
                data.subi(update.muli(lr / correction1));
                g.muli(0);
            }
        }
    }

    /**
     * Continues from a saved state: the moments by parameter name ({@code [m, v]}, copied into
     * this optimizer's manager) and the number of updates already made.
     */
    public void restore(Map<String, NDArray[]> saved, long updates) {
        moments.values().forEach(mv -> {
            mv[0].close();
            mv[1].close();
        });
        moments.clear();
        saved.forEach((name, mv) -> {
            NDArray m = mv[0].duplicate();
            NDArray v = mv[1].duplicate();
            m.attach(manager);
            v.attach(manager);
            moments.put(name, new NDArray[] {m, v});
        });
        steps = updates;
    }

    /** Updates so far. */
    public long steps() {
        return steps;
    }

    public Settings settings() {
        return settings;
    }

    /** The first and second moments of a parameter, or {@code null} before its first update. */
    public NDArray[] moments(String name) {
        return moments.get(name);
    }

    @Override
    public void close() {
        manager.close();
    }
}
