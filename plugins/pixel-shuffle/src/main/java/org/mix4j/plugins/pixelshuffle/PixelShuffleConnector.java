package org.mix4j.plugins.pixelshuffle;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import org.mix4j.api.Connector;
import org.mix4j.api.TokenGrid;
import org.mix4j.nn.LayerNorm;
import org.mix4j.nn.Linear;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.weights.Weights;

/**
 * InternVL's vision-to-language connector (Chen et al. 2024, "How Far Are We to GPT-4V? Closing the
 * Gap to Commercial Multimodal Models with Open-Source Suites"; {@code InternVLChatModel.pixel_shuffle}
 * and {@code mlp1} in OpenGVLab's modeling_internvl_chat.py): the patch tokens are laid back onto
 * their grid, every {@code k x k} block of neighbours is folded into one token with {@code k^2}
 * times the channels, then {@code mlp1} = LayerNorm, Linear, GELU, Linear maps them to the
 * language model's width. With InternVL's {@code downsample_ratio} 0.5 a 32x32 grid becomes 256
 * tokens.
 *
 * <p>The reference reshapes a square grid only; a {@code rows x cols} grid goes through the same
 * view/permute sequence with the rows in the place of InternVL's first spatial axis.
 */
public final class PixelShuffleConnector implements Connector {

    private final NDManager manager;
    private final PixelShuffleConfig config;
    /** {@code mlp1.0}: LayerNorm over the shuffled width. */
    private final LayerNorm mlp1Norm;
    /** {@code mlp1.1}: shuffled width to the LLM width. */
    private final Linear mlp1Fc1;
    /** {@code mlp1.3}: LLM width to LLM width ({@code mlp1.2} is the GELU). */
    private final Linear mlp1Fc2;

    PixelShuffleConnector(PixelShuffleConfig config, Weights weights, NDManager manager, TensorParallel parallel) {
        this.manager = manager;
        this.config = config;
        long shuffled = config.shuffledSize();
        this.mlp1Norm = LayerNorm.load(weights, "mlp1.0", shuffled, config.layerNormEps());
        this.mlp1Fc1 = Linear.load(weights, "mlp1.1", shuffled, config.llmHiddenSize(), parallel);
        this.mlp1Fc2 = Linear.load(weights, "mlp1.3", config.llmHiddenSize(), config.llmHiddenSize(), parallel);
    }

    /** The mask is not used: features are projected per shuffled block, every token counts. */
    @Override
    public NDArray project(NDArray features, NDArray attentionMask, TokenGrid grid) {
        checkInput(features, grid);
        NDManager caller = features.getManager();
        try (NDManager scope = caller.newSubManager()) {
            features.tempAttach(scope);
            NDArray x = features;
            if (grid.prefixTokens() > 0) {
                x = x.get(new NDIndex(":, {}:", grid.prefixTokens())); // [B, rows*cols, Dv]
            }
            long b = x.getShape().get(0);
            x = x.reshape(b, grid.rows(), grid.cols(), config.visionHiddenSize()); // [B, rows, cols, Dv]
            x = pixelShuffle(x);
            x = x.reshape(b, -1, config.shuffledSize()); // [B, M, Dv*k*k]
            NDArray h = mlp1Norm.forward(x);
            h = mlp1Fc1.forward(h);
            h = gelu(h);
            h = mlp1Fc2.forward(h); // [B, M, Dllm]
            h.attach(caller);
            return h;
        }
    }

    /**
     * InternVL's {@code pixel_shuffle(x, scale_factor=downsample_ratio)} on {@code [B, R, C, D]},
     * step for step (views of contiguous tensors, so reshape == view).
     *
     * @return {@code [B, R/k, C/k, D*k*k]} (v2), or {@code [B, C/k, R/k, D*k*k]} (v1)
     */
    NDArray pixelShuffle(NDArray x) {
        long b = x.getShape().get(0);
        long r = x.getShape().get(1);
        long c = x.getShape().get(2);
        long d = x.getShape().get(3);
        int k = config.scale();
        x = x.reshape(b, r, c / k, d * k); // [B, R, C/k, D*k]: k neighbours in a row side by side
        x = x.transpose(0, 2, 1, 3); // [B, C/k, R, D*k]
        x = x.reshape(b, c / k, r / k, d * k * k); // [B, C/k, R/k, D*k*k]: then k rows of those
        if (config.psVersion() == PixelShuffleConfig.PsVersion.V2) {
            x = x.transpose(0, 2, 1, 3); // [B, R/k, C/k, D*k*k]
        }
        return x;
    }

    /** Exact GELU ({@code nn.GELU()}, erf form). */
    private static NDArray gelu(NDArray x) {
        return x.mul(x.mul(Math.sqrt(0.5)).erf().add(1)).mul(0.5);
    }

    private void checkInput(NDArray features, TokenGrid grid) {
        if (features.getShape().dimension() != 3 || features.getShape().get(2) != config.visionHiddenSize()) {
            throw new IllegalArgumentException("pixel_shuffle expects features [batch, tokens, "
                    + config.visionHiddenSize() + "] (vision_hidden_size), got " + features.getShape());
        }
        if (features.getShape().get(1) != grid.tokens()) {
            throw new IllegalArgumentException("features hold " + features.getShape().get(1) + " tokens but the grid "
                    + grid + " has " + grid.tokens());
        }
        if (grid.prefixTokens() > 0 && !config.dropCls()) {
            throw new IllegalArgumentException("the features have " + grid.prefixTokens() + " prefix token(s) (CLS) "
                    + "and drop_cls is false: set drop_cls: true or give the connector patch tokens only");
        }
        outputTokens(grid);
    }

    @Override
    public int outputTokens(TokenGrid grid) {
        TokenGrid out = outputGrid(grid);
        return out.rows() * out.cols();
    }

    /** The shrunken grid; for {@code ps_version v1} it is transposed, as InternVL warns. */
    @Override
    public TokenGrid outputGrid(TokenGrid grid) {
        int k = config.scale();
        if (grid.rows() % k != 0 || grid.cols() % k != 0) {
            throw new IllegalArgumentException("pixel_shuffle with downsample_ratio " + config.downsampleRatio()
                    + " needs a token grid divisible by " + k + ", got " + grid.rows() + "x" + grid.cols());
        }
        return config.psVersion() == PixelShuffleConfig.PsVersion.V2
                ? new TokenGrid(grid.rows() / k, grid.cols() / k, 0)
                : new TokenGrid(grid.cols() / k, grid.rows() / k, 0);
    }

    @Override
    public int outputSize() {
        return config.llmHiddenSize();
    }

    @Override
    public void close() {
        manager.close();
    }
}
