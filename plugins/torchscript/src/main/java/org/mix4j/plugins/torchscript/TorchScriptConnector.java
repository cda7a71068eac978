package org.mix4j.plugins.torchscript;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.mix4j.api.Connector;
import org.mix4j.api.TokenGrid;

/** A projector shipped as TorchScript: {@code forward(features)} maps {@code [B, N, Dv]} to {@code [B, M, D]}. */
final class TorchScriptConnector implements Connector {

    static final String TYPE = "connector";

    private final TorchScriptConnectorConfig config;
    private final TorchScriptModule module;

    TorchScriptConnector(TorchScriptConnectorConfig config, TorchScriptModule module) {
        this.config = config;
        this.module = module;
    }

    /** The mask is not passed: a traced module has a fixed signature of one tensor. */
    @Override
    public NDArray project(NDArray features, NDArray attentionMask, TokenGrid grid) {
        Shape s = features.getShape();
        if (s.dimension() != 3 || s.get(1) != grid.tokens()
                || (config.inputSize() != null && s.get(2) != config.inputSize())) {
            throw new IllegalArgumentException("torchscript:connector " + module.file().getFileName() + " expects "
                    + config.input() + " [batch, " + grid.tokens() + " (grid " + grid + "), "
                    + (config.inputSize() != null ? config.inputSize() + " (input_size)" : "Dv") + "], got " + s);
        }
        NDManager caller = features.getManager();
        try (NDManager scope = caller.newSubManager()) {
            features.tempAttach(scope);
            NDArray out = module.forward(new NDList(features.toType(DataType.FLOAT32, false))).head();
            Shape expected = new Shape(s.get(0), outputTokens(grid), config.outputSize());
            if (!out.getShape().equals(expected)) {
                throw new IllegalArgumentException("torchscript:connector " + module.file().getFileName() + " returned "
                        + config.output() + " " + out.getShape() + " but the YAML declares " + expected + " (output_size "
                        + config.outputSize() + (config.outputTokens() != null ? ", output_tokens " + config.outputTokens()
                        : ", as many tokens as its input") + ")");
            }
            out.attach(caller);
            return out;
        }
    }

    @Override
    public int outputTokens(TokenGrid grid) {
        return config.outputTokens() != null ? config.outputTokens() : grid.tokens();
    }

    @Override
    public int outputSize() {
        return config.outputSize();
    }

    @Override
    public void close() {
        module.close();
    }
}
