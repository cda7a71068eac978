package org.mix4j.plugins.torchscript;

import java.util.List;
import org.mix4j.config.Default;

/**
 * {@code torchscript:encoder}: a traced vision tower, {@code pixel_values [B, 3, H, W] -> tokens
 * [B, N, D]}. A trace fixes {@code H} and {@code W} (a position embedding of {@code N} entries), so
 * the YAML declares the sizes the pipeline plans with.
 *
 * @param file the archive, relative to the component directory
 * @param imageSize {@code H = W} the module was traced at
 * @param grid {@code [rows, cols]} of the patch tokens, row-major
 * @param hiddenSize {@code D}
 * @param prefixTokens tokens before the grid (CLS), 0 when there are none
 * @param input name of the module's input, for messages
 * @param output name of the module's output, for messages
 */
public record TorchScriptEncoderConfig(
        String file,
        int imageSize,
        List<Integer> grid,
        int hiddenSize,
        @Default("0") int prefixTokens,
        @Default("pixel_values") String input,
        @Default("features") String output) {

    public TorchScriptEncoderConfig {
        if (grid.size() != 2 || grid.get(0) < 1 || grid.get(1) < 1) {
            throw new IllegalArgumentException("grid must be [rows, cols] of positive integers, got " + grid);
        }
        if (imageSize < 1 || hiddenSize < 1 || prefixTokens < 0) {
            throw new IllegalArgumentException("image_size and hidden_size must be positive and prefix_tokens >= 0, got "
                    + imageSize + ", " + hiddenSize + ", " + prefixTokens);
        }
        grid = List.copyOf(grid);
    }
}
