package org.mix4j.diffusion.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Runs a piece of model code in a child of the caller's {@link NDManager}. DJL puts the result of
 * an operation in the manager of its first operand, so the inputs are temporarily attached to the
 * child: every temporary then lands there and is freed when the child closes, and only the result
 * is attached back to the caller's manager (the manager of the first input). Model code must not
 * start an operation from a weight (its result would land in the weights' manager and live as long
 * as the model).
 */
public final class Scope {

    private Scope() {}

    /** {@code body()} in a child scope of {@code inputs[0]}'s manager; {@code null} inputs are skipped. */
    public static NDArray run(Supplier<NDArray> body, NDArray... inputs) {
        NDManager caller = inputs[0].getManager();
        try (NDManager scope = caller.newSubManager()) {
            attachInputs(scope, inputs);
            NDArray out = body.get();
            out.attach(caller);
            return out;
        }
    }

    /** As {@link #run} for a body with several results. */
    public static NDList runList(Supplier<NDList> body, NDArray... inputs) {
        NDManager caller = inputs[0].getManager();
        try (NDManager scope = caller.newSubManager()) {
            attachInputs(scope, inputs);
            NDList out = body.get();
            out.attach(caller);
            return out;
        }
    }

    /**
     * Closes {@code used} (a temporary the next step has consumed) unless it is {@code next} itself,
     * and returns {@code next}: {@code h = Scope.then(h, conv.forward(h))}. A block's large
     * activations then die as soon as they are used instead of when the block's scope closes, which
     * bounds the peak memory of a VAE decode by a few activations rather than all of them.
     */
    public static NDArray then(NDArray used, NDArray next) {
        if (used != next) {
            used.close();
        }
        return next;
    }

    private static void attachInputs(NDManager scope, NDArray... inputs) {
        // an array attached twice would be handed back to the closing scope, so each goes once
        Set<NDArray> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (NDArray input : inputs) {
            if (input != null && seen.add(input)) {
                input.tempAttach(scope);
            }
        }
    }
}
