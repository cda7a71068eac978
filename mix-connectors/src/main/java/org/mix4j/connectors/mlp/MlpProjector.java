package org.mix4j.connectors.mlp;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mix4j.api.Connector;
import org.mix4j.api.TokenGrid;
import org.mix4j.api.Trainable;
import org.mix4j.nn.Activation;
import org.mix4j.nn.Linear;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.weights.Weights;

/**
 * LLaVA's projector family (Liu et al. 2023, "Visual Instruction Tuning"; transformers'
 * {@code LlavaMultiModalProjector}): linears with an activation between them, applied to every
 * token, so {@code M = N}. The padding mask is not needed: tokens do not interact.
 */
public final class MlpProjector implements Connector, Trainable {

    private final NDManager manager;
    /** {@code linear_1 ... linear_N} in order. */
    private final List<Linear> linears;
    private final List<String> names;
    private final Activation hiddenAct;

    /**
     * @param names the linears' checkpoint names, in order
     * @param widths {@code names.size() + 1} widths: in, hidden..., out
     */
    MlpProjector(List<String> names, long[] widths, Activation hiddenAct, boolean bias, Weights weights,
            NDManager manager, TensorParallel parallel) {
        this.manager = manager;
        this.hiddenAct = hiddenAct;
        this.linears = new ArrayList<>();
        this.names = List.copyOf(names);
        for (int i = 0; i < names.size(); i++) {
            linears.add(Linear.load(weights, names.get(i), widths[i], widths[i + 1], bias, parallel));
        }
    }

    @Override
    public NDArray project(NDArray features, NDArray attentionMask, TokenGrid grid) {
        if (features.getShape().dimension() != 3 || features.getShape().get(2) != linears.get(0).inFeatures()) {
            throw new IllegalArgumentException("projector expects features [batch, tokens, "
                    + linears.get(0).inFeatures() + "], got " + features.getShape());
        }
        if (features.getShape().get(1) != grid.tokens()) {
            throw new IllegalArgumentException("features hold " + features.getShape().get(1)
                    + " tokens but the grid " + grid + " has " + grid.tokens());
        }
        NDManager caller = features.getManager();
        try (NDManager scope = caller.newSubManager()) {
            features.tempAttach(scope);
            NDArray h = features; // [B, N, Dv]
            for (int i = 0; i < linears.size(); i++) {
                h = linears.get(i).forward(h);
                if (i < linears.size() - 1) {
                    h = hiddenAct.apply(h);
                }
            }
            h.attach(caller); // [B, N, Dllm]
            return h;
        }
    }

    @Override
    public Map<String, NDArray> parameters() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (int i = 0; i < linears.size(); i++) {
            linears.get(i).parameters(names.get(i), out);
        }
        return out;
    }

    /** {@code linear_1 ... linear_N}; the {@code linear} type's single unnamed linear has no module name to target. */
    @Override
    public Map<String, Projection> projections() {
        Map<String, Projection> out = new LinkedHashMap<>();
        for (int i = 0; i < linears.size(); i++) {
            if (!names.get(i).isEmpty()) {
                out.put(names.get(i), linears.get(i).whole());
            }
        }
        return out;
    }

    @Override
    public int outputTokens(TokenGrid grid) {
        return grid.tokens();
    }

    @Override
    public int outputSize() {
        return (int) linears.get(linears.size() - 1).outFeatures();
    }

    @Override
    public void close() {
        manager.close();
    }
}
