package org.mix4j.plugins.torchscript;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.mix4j.api.EncoderOutput;
import org.mix4j.api.TokenGrid;
import org.mix4j.api.VisionEncoder;

/**
 * A vision tower shipped as TorchScript: {@code forward(pixel_values)} returns the token features.
 * The module's own output is both {@code last_hidden_state} and {@code features}; there is no
 * pooled output or projection.
 */
final class TorchScriptEncoder implements VisionEncoder {

    static final String TYPE = "encoder";

    private final TorchScriptEncoderConfig config;
    private final TorchScriptModule module;
    private final TokenGrid grid;

    TorchScriptEncoder(TorchScriptEncoderConfig config, TorchScriptModule module) {
        this.config = config;
        this.module = module;
        this.grid = config.tokenGrid();
    }

    @Override
    public EncoderOutput encode(NDArray pixelValues) {
        Shape s = pixelValues.getShape();
        if (s.dimension() != 4 || s.get(1) != 3 || s.get(2) != config.height() || s.get(3) != config.width()) {
            throw new IllegalArgumentException("torchscript:encoder " + module.file().getFileName() + " expects "
                    + config.input() + " [batch, 3, " + config.height() + ", " + config.width() + "] ("
                    + config.sizeKeys() + "), got " + s + (s.dimension() == 4 && s.get(1) == 3
                    ? ": " + s.get(2) + "x" + s.get(3) + " is not the declared " + size() + " (height x width)" : ""));
        }
        NDManager caller = pixelValues.getManager();
        try (NDManager scope = caller.newSubManager()) {
            pixelValues.tempAttach(scope);
            NDList out = module.forward(new NDList(pixelValues.toType(DataType.FLOAT32, false)));
            NDArray tokens = out.head(); // [B, N, D]
            Shape expected = new Shape(s.get(0), grid.tokens(), config.hiddenSize());
            if (!tokens.getShape().equals(expected)) {
                throw new IllegalArgumentException("torchscript:encoder " + module.file().getFileName() + " returned "
                        + config.output() + " " + tokens.getShape() + " but the YAML declares " + expected
                        + " (grid " + config.grid() + " + prefix_tokens " + config.prefixTokens() + ", hidden_size "
                        + config.hiddenSize() + ")");
            }
            tokens.attach(caller);
            return new EncoderOutput(tokens, null, null, tokens, grid);
        }
    }

    @Override
    public int hiddenSize() {
        return config.hiddenSize();
    }

    /** The traced size only: a trace cannot follow another input size. */
    @Override
    public TokenGrid grid(int height, int width) {
        if (height != config.height() || width != config.width()) {
            throw new IllegalArgumentException("torchscript:encoder " + module.file().getFileName() + " was traced at "
                    + size() + " (" + config.sizeKeys() + "), not " + height + "x" + width + " (height x width)");
        }
        return grid;
    }

    /**
     * The side of a square input. A module traced at another shape has none: pipelines plan with
     * {@link #grid(int, int)}.
     */
    @Override
    public int imageSize() {
        if (!config.square()) {
            throw new IllegalStateException("torchscript:encoder " + module.file().getFileName() + " takes " + size()
                    + " (height x width) inputs, not a square image_size");
        }
        return config.height();
    }

    private String size() {
        return config.height() + "x" + config.width();
    }

    @Override
    public void close() {
        module.close();
    }
}
