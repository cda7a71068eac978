package org.mix4j.encoders.layers;

import ai.djl.ndarray.NDArray;
import org.mix4j.nn.Activation;
import org.mix4j.nn.Linear;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.weights.Weights;

/** The transformer MLP of CLIP and SigLIP: {@code fc2(act(fc1(x)))}. */
public final class Mlp {

    private final Linear fc1;
    private final Activation activation;
    private final Linear fc2;

    /** Loads {@code prefix + "fc1"} {@code [inter, hidden]} and {@code prefix + "fc2"} {@code [hidden, inter]}. */
    public Mlp(Weights weights, String prefix, long hidden, long intermediate, Activation activation,
            TensorParallel parallel) {
        this.fc1 = Linear.load(weights, prefix + "fc1", hidden, intermediate, true, parallel);
        this.activation = activation;
        this.fc2 = Linear.load(weights, prefix + "fc2", intermediate, hidden, true, parallel);
    }

    public NDArray forward(NDArray x) {
        return fc2.forward(activation.apply(fc1.forward(x)));
    }
}
