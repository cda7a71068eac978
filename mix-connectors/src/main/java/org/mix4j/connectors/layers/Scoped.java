package org.mix4j.connectors.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/** Helpers for arrays that a forward derives from parameters without growing the weights' manager. */
public final class Scoped {

    private Scoped() {}

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
}
