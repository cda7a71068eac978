package org.mix4j.training;

import java.util.List;

/**
 * LoRA settings with peft's meaning: rank {@code r}, {@code alpha} (the update is scaled by
 * {@code alpha / r}), dropout on the adapter's input, and the modules to adapt, matched as peft
 * matches them: a module whose name is a target or ends with {@code "." + target}.
 */
public record Lora(int r, double alpha, double dropout, List<String> targetModules) {

    public Lora {
        if (r < 1) {
            throw new IllegalArgumentException("lora r must be >= 1, got " + r);
        }
        if (!(alpha > 0) || Double.isInfinite(alpha)) {
            throw new IllegalArgumentException("lora alpha must be finite and > 0, got " + alpha);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("lora dropout must be in [0, 1), got " + dropout);
        }
        if (targetModules.isEmpty()) {
            throw new IllegalArgumentException("lora target_modules is empty: name the modules to adapt (e.g. q_proj)");
        }
        targetModules = List.copyOf(targetModules);
    }

    public double scaling() {
        return alpha / r;
    }

    /** Whether a module (checkpoint name without the weights prefix) is adapted. */
    public boolean targets(String module) {
        return targetModules.stream().anyMatch(t -> module.equals(t) || module.endsWith("." + t));
    }
}
