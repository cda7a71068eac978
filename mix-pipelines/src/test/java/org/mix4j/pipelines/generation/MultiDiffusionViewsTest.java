package org.mix4j.pipelines.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.mix4j.pipelines.generation.MultiDiffusionViews.View;

class MultiDiffusionViewsTest {

    @Test
    void gridSizesGiveDiffusersViewsRowMajor() {
        // 64 x 256 latents (a 512 x 2048 SD panorama), window 64, stride 8: diffusers' default
        List<View> views = MultiDiffusionViews.plan(64, 256, 64, 8, false);
        assertEquals(25, views.size());
        assertEquals(new View(0, 64, 0, 64), views.get(0));
        assertEquals(new View(0, 64, 192, 256), views.get(24));
        List<View> grid = MultiDiffusionViews.plan(24, 16, 8, 8, false);
        assertEquals(List.of(new View(0, 8, 0, 8), new View(0, 8, 8, 16), new View(8, 16, 0, 8), new View(8, 16, 8, 16),
                new View(16, 24, 0, 8), new View(16, 24, 8, 16)), grid);
    }

    @Test
    void circularViewsRunAllTheWayRound() {
        List<View> views = MultiDiffusionViews.plan(8, 24, 8, 4, true);
        assertEquals(6, views.size());
        assertEquals(new View(0, 8, 20, 28), views.get(5));
        float[] count = MultiDiffusionViews.counts(views, 8, 24);
        for (float c : count) {
            assertEquals(2f, c, "every column is covered by two wrapping views");
        }
    }

    @ParameterizedTest
    @CsvSource({"8, 30, 8, 4, false", "13, 21, 8, 3, false", "8, 10, 4, 4, true", "5, 5, 8, 2, false", "64, 125, 64, 8, false"})
    void everyLatentIsCovered(int height, int width, int window, int stride, boolean circular) {
        List<View> views = MultiDiffusionViews.plan(height, width, window, stride, circular);
        float[] count = MultiDiffusionViews.counts(views, height, width);
        for (int i = 0; i < count.length; i++) {
            assertTrue(count[i] > 0, "latent (" + i / width + ", " + i % width + ") is in no view: " + views);
        }
        for (View v : views) {
            assertEquals(Math.min(window, height), v.height());
            assertEquals(Math.min(window, width), v.width());
        }
    }

    @Test
    void uncoveredEdgesGetOneMoreViewFlushWithTheEdge() {
        List<View> views = MultiDiffusionViews.plan(8, 30, 8, 4, false);
        assertEquals(new View(0, 8, 20, 28), views.get(views.size() - 2));
        assertEquals(new View(0, 8, 22, 30), views.get(views.size() - 1));
    }

    @Test
    void rejectsAStrideLargerThanTheWindow() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MultiDiffusionViews.plan(64, 128, 8, 16, false));
        assertTrue(e.getMessage().contains("larger than the window"), e.getMessage());
    }
}
