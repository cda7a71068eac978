package org.mix4j.pipelines.generation;

import java.util.ArrayList;
import java.util.List;

/**
 * The windows MultiDiffusion denoises: Bar-Tal et al., "MultiDiffusion: Fusing Diffusion Paths for
 * Controlled Image Generation" (2023), as diffusers' {@code StableDiffusionPanoramaPipeline.get_views}
 * lays them out, in latent units: a grid of {@code window x window} views stepped by {@code stride},
 * row-major. With circular padding the columns run all the way round ({@code width / stride} of
 * them) and views past the right edge wrap to column 0.
 *
 * <p>One difference: where the grid does not reach the bottom or right edge (the size minus the
 * window is not a multiple of the stride), diffusers leaves those latents uncovered and they become
 * zero; here one more row or column of views, flush with the edge, covers them (circular: one more
 * wrapping column). Sizes on the grid get exactly diffusers' views.
 */
public final class MultiDiffusionViews {

    /**
     * A window {@code [hStart, hEnd) x [wStart, wEnd)}; {@code wEnd} may pass the latent width
     * when it wraps round (circular).
     */
    public record View(int hStart, int hEnd, int wStart, int wEnd) {
        public int height() {
            return hEnd - hStart;
        }

        public int width() {
            return wEnd - wStart;
        }
    }

    private MultiDiffusionViews() {}

    /** The views over a {@code height x width} latent, in the order they are denoised. */
    public static List<View> plan(int height, int width, int window, int stride, boolean circular) {
        if (window < 1 || stride < 1) {
            throw new IllegalArgumentException("MultiDiffusion window and stride must be >= 1, got " + window + ", " + stride);
        }
        if (stride > window) {
            throw new IllegalArgumentException("MultiDiffusion stride " + stride + " is larger than the window " + window
                    + ": latents between the windows would never be denoised");
        }
        List<int[]> rows = spans(height, window, stride, false);
        List<int[]> cols = spans(width, window, stride, circular);
        List<View> views = new ArrayList<>();
        for (int[] r : rows) {
            for (int[] c : cols) {
                views.add(new View(r[0], r[1], c[0], c[1]));
            }
        }
        return views;
    }

    /** Start and end of each window along one side. */
    private static List<int[]> spans(int size, int window, int stride, boolean circular) {
        List<int[]> out = new ArrayList<>();
        if (size <= window) {
            out.add(new int[] {0, size});
            return out;
        }
        int count = (size - window) / stride + 1;
        if (circular) {
            // diffusers' count, or more when a coarse stride would leave the last columns uncovered
            count = Math.max(size / stride, Math.floorDiv(size - window + stride - 1, stride) + 1);
        }
        for (int i = 0; i < count; i++) {
            out.add(new int[] {i * stride, i * stride + window});
        }
        int covered = (count - 1) * stride + window;
        if (!circular && covered < size) {
            out.add(new int[] {size - window, size});
        }
        return out;
    }

    /** How many views cover each latent position, {@code [height * width]} row-major. */
    public static float[] counts(List<View> views, int height, int width) {
        float[] count = new float[height * width];
        for (View v : views) {
            for (int h = v.hStart(); h < v.hEnd(); h++) {
                for (int w = v.wStart(); w < v.wEnd(); w++) {
                    count[h * width + w % width] += 1f;
                }
            }
        }
        return count;
    }
}
