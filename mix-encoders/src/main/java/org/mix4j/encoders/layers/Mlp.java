package org.mix4j.encoders.layers;

import ai.djl.ndarray.NDArray;
import java.util.Map;
import org.mix4j.api.Trainable.Projection;
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

    /** {@code prefix + "fc1.weight"} ... (see {@link org.mix4j.api.Trainable}). */
    public void parameters(String prefix, Map<String, NDArray> out) {
        fc1.parameters(prefix + "fc1", out);
        fc2.parameters(prefix + "fc2", out);
    }

    public void projections(String prefix, Map<String, Projection> out) {
        out.put(prefix + "fc1", fc1.whole());
        out.put(prefix + "fc2", fc2.whole());
    }
}
