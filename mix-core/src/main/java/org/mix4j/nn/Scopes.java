package org.mix4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * Child-manager scopes for forward passes. DJL puts the result of an op in the manager of its first
 * operand, so model code keeps the activation on the left ({@code x.matMul(weight)}) and runs each
 * block in a child of the activation's manager: the inputs are lent to the child, every temporary
 * lands there and dies with it, and only the block's result is handed back. Model code must not start
 * an op from a weight (its result would land in the weights' manager and live as long as the model).
 */
public final class Scopes {

    private Scopes() {}

    /**
     * Applies {@code body} to {@code x} inside a child of {@code x}'s manager and returns the result
     * attached to that manager. {@code x} itself is only lent to the child and goes back unchanged.
     */
    public static NDArray child(NDArray x, UnaryOperator<NDArray> body) {
        return run(() -> body.apply(x), x);
    }

    /** {@code body()} in a child scope of {@code inputs[0]}'s manager; {@code null} inputs are skipped. */
    public static NDArray run(Supplier<NDArray> body, NDArray... inputs) {
        NDManager caller = inputs[0].getManager();
        try (NDManager scope = caller.newSubManager()) {
            lend(scope, inputs);
            NDArray out = body.get();
            out.attach(caller);
            return out;
        }
    }

    /** As {@link #run} for a body with several results. */
    public static NDList runList(Supplier<NDList> body, NDArray... inputs) {
        NDManager caller = inputs[0].getManager();
        try (NDManager scope = caller.newSubManager()) {
            lend(scope, inputs);
            NDList out = body.get();
            out.attach(caller);
            return out;
        }
    }

    /**
     * Closes {@code used} (a temporary the next step has consumed) unless it is {@code next} itself,
     * and returns {@code next}: {@code h = Scopes.then(h, conv.forward(h))}. A block's large
     * activations then die as soon as they are used instead of when the block's scope closes, which
     * bounds the peak memory of a VAE decode by a few activations rather than all of them.
     */
    public static NDArray then(NDArray used, NDArray next) {
        if (used != next) {
            used.close();
        }
        return next;
    }

    /**
     * {@code param} {@code [d0, d1, ...]} broadcast to {@code [batch, d0, d1, ...]}, owned by
     * {@code scope}: the view is moved out of the parameter's manager so it is freed with the forward.
     */
    public static NDArray batched(NDArray param, long batch, NDManager scope) {
        NDArray view = param.expandDims(0);
        view.attach(scope);
        long[] dims = new long[param.getShape().dimension() + 1];
        dims[0] = batch;
        System.arraycopy(param.getShape().getShape(), 0, dims, 1, dims.length - 1);
        return view.broadcast(new Shape(dims));
    }

    private static void lend(NDManager scope, NDArray... inputs) {
        // an array attached twice would be handed back to the closing scope, so each goes once
        Set<NDArray> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (NDArray input : inputs) {
            if (input != null && seen.add(input)) {
                input.tempAttach(scope);
            }
        }
    }
}
