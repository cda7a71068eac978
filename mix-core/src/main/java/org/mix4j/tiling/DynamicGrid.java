package org.mix4j.tiling;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * InternVL's dynamic tiling grid (Chen et al., "How Far Are We to GPT-4V?", 2024, the
 * {@code dynamic_preprocess} of InternVL-Chat): among grids of {@code cols x rows} square tiles with
 * {@code minTiles <= cols * rows <= maxTiles}, the one whose aspect ratio is closest to the image's.
 * On a tie the grid seen later (more tiles) wins only when the image's area exceeds half of the
 * grid's pixel area.
 */
public final class DynamicGrid {

    private DynamicGrid() {}

    /** Candidate {@code [cols, rows]} grids in the reference's order: by tile count, then as listed. */
    public static List<int[]> candidates(int minTiles, int maxTiles) {
        if (minTiles < 1 || maxTiles < minTiles) {
            throw new IllegalArgumentException("need 1 <= min_tiles <= max_tiles, got " + minTiles + ", " + maxTiles);
        }
        List<int[]> out = new ArrayList<>();
        for (int cols = 1; cols <= maxTiles; cols++) {
            for (int rows = 1; rows <= maxTiles; rows++) {
                int n = cols * rows;
                if (n >= minTiles && n <= maxTiles) {
                    out.add(new int[] {cols, rows});
                }
            }
        }
        out.sort(Comparator.comparingInt(g -> g[0] * g[1]));
        return out;
    }

    /** The chosen {@code [cols, rows]} for an image of {@code width x height} and tiles of {@code tile}. */
    public static int[] choose(int width, int height, int tile, int minTiles, int maxTiles) {
        double aspect = (double) width / height;
        double bestDiff = Double.POSITIVE_INFINITY;
        int[] best = {1, 1};
        long area = (long) width * height;
        for (int[] g : candidates(minTiles, maxTiles)) {
            double diff = Math.abs(aspect - (double) g[0] / g[1]);
            if (diff < bestDiff) {
                bestDiff = diff;
                best = g;
            } else if (diff == bestDiff && area > 0.5 * tile * tile * g[0] * g[1]) {
                best = g;
            }
        }
        return best;
    }
}
