package org.mix4j.plugins.torchscript;

import java.util.List;
import org.mix4j.api.TokenGrid;
import org.mix4j.config.Default;
import org.mix4j.config.OptionalKey;

/**
 * {@code torchscript:encoder}: a traced vision tower, {@code pixel_values [B, 3, H, W] -> tokens
 * [B, N, D]}. A trace fixes {@code H} and {@code W} (a position embedding of {@code N} entries), so
 * the YAML declares the sizes the pipeline plans with. The batch {@code B} is free.
 *
 * <p>The input size is {@code height} and {@code width}, or {@code image_size} as the shorthand
 * for a square input ({@code height = width = image_size}). The token grid is {@code grid} or, with
 * {@code patch_size}, {@code [height / patch_size, width / patch_size]}; with both, they must agree.
 *
 * @param file the archive, relative to the component directory
 * @param imageSize shorthand for {@code height = width}; {@code null} when height and width are given
 * @param height {@code H} the module was traced at (from {@code image_size} when unset)
 * @param width {@code W} the module was traced at (from {@code image_size} when unset)
 * @param grid {@code [rows, cols]} of the patch tokens, row-major (from {@code patch_size} when unset)
 * @param patchSize pixels per token side, to compute the grid; {@code null} when not declared
 * @param hiddenSize {@code D}
 * @param prefixTokens tokens before the grid (CLS), 0 when there are none
 * @param input name of the module's input, for messages
 * @param output name of the module's output, for messages
 */
public record TorchScriptEncoderConfig(
        String file,
        @OptionalKey Integer imageSize,
        @OptionalKey Integer height,
        @OptionalKey Integer width,
        @OptionalKey List<Integer> grid,
        @OptionalKey Integer patchSize,
        int hiddenSize,
        @Default("0") int prefixTokens,
        @Default("pixel_values") String input,
        @Default("features") String output) {

    public TorchScriptEncoderConfig {
        if (imageSize == null && (height == null || width == null)) {
            throw new IllegalArgumentException("declare the traced input size: height and width"
                    + " (or image_size for a square input), got "
                    + (height == null && width == null ? "none" : height == null ? "width " + width : "height " + height));
        }
        if (imageSize != null && ((height != null && !height.equals(imageSize)) || (width != null && !width.equals(imageSize)))) {
            throw new IllegalArgumentException("image_size " + imageSize + " means height = width = " + imageSize
                    + " but height is " + height + " and width " + width + "; declare height and width alone");
        }
        height = height != null ? height : imageSize;
        width = width != null ? width : imageSize;
        if (height < 1 || width < 1 || hiddenSize < 1 || prefixTokens < 0) {
            throw new IllegalArgumentException("height, width and hidden_size must be positive and prefix_tokens >= 0, got "
                    + height + ", " + width + ", " + hiddenSize + ", " + prefixTokens);
        }
        if (patchSize != null) {
            if (patchSize < 1 || height % patchSize != 0 || width % patchSize != 0) {
                throw new IllegalArgumentException("patch_size must be a positive divisor of height " + height
                        + " and width " + width + ", got " + patchSize);
            }
            List<Integer> fromPatch = List.of(height / patchSize, width / patchSize);
            if (grid != null && !grid.equals(fromPatch)) {
                throw new IllegalArgumentException("grid " + grid + " disagrees with patch_size " + patchSize + " at "
                        + height + "x" + width + " (height x width), which makes " + fromPatch + "; declare one of them");
            }
            grid = fromPatch;
        }
        if (grid == null) {
            throw new IllegalArgumentException("declare the token grid: grid [rows, cols], or patch_size to compute it"
                    + " from height " + height + " and width " + width);
        }
        if (grid.size() != 2 || grid.get(0) < 1 || grid.get(1) < 1) {
            throw new IllegalArgumentException("grid must be [rows, cols] of positive integers, got " + grid);
        }
        grid = List.copyOf(grid);
    }

    /** The layout of the tokens the module returns. */
    public TokenGrid tokenGrid() {
        return new TokenGrid(grid.get(0), grid.get(1), prefixTokens);
    }

    /** {@code true} when the input is square. */
    public boolean square() {
        return height.intValue() == width.intValue();
    }

    /** The keys the input size came from, for messages: {@code image_size} or {@code height, width}. */
    String sizeKeys() {
        return imageSize != null ? "image_size" : "height, width";
    }
}
