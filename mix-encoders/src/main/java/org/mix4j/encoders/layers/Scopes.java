package org.mix4j.encoders.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.function.UnaryOperator;

/**
 * Child-manager scopes for forward passes. DJL puts the result of an op in the manager of its
 * left operand, so model code keeps the activation on the left ({@code x.matMul(weight)}) and runs
 * each block in a child of the activation's manager: every temporary dies with the child and only
 * the block's result is handed back.
 */
public final class Scopes {

    private Scopes() {}

    /**
     * Applies {@code body} to {@code x} inside a child of {@code x}'s manager and returns the result
     * attached to that manager. {@code x} itself is only lent to the child and goes back unchanged.
     */
    public static NDArray child(NDArray x, UnaryOperator<NDArray> body) {
        NDManager outer = x.getManager();
        try (NDManager scope = outer.newSubManager()) {
            x.tempAttach(scope);
            NDArray y = body.apply(x);
            y.attach(outer);
            return y;
        }
    }
}
