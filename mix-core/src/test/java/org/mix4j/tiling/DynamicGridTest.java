package org.mix4j.tiling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Worked examples of InternVL's grid choice, derived by hand (tile 448 unless stated). */
class DynamicGridTest {

    @Test
    void exactAspectRatioWins() {
        assertArrayEquals(new int[] {4, 3}, DynamicGrid.choose(800, 600, 448, 1, 12));
        assertArrayEquals(new int[] {4, 1}, DynamicGrid.choose(2000, 500, 448, 1, 12));
    }

    @Test
    void tiesGoToTheLargerGridOnlyWhenTheImageFillsMoreThanHalfOfIt() {
        // aspect 1 ties (1,1), (2,2), (3,3); 448x448 = 200704 px is not > 0.5 * 448^2 * 4 = 401408
        assertArrayEquals(new int[] {1, 1}, DynamicGrid.choose(448, 448, 448, 1, 12));
        // 900x900 = 810000 > 401408 takes (2,2), but not > 0.5 * 448^2 * 9 = 903168 for (3,3)
        assertArrayEquals(new int[] {2, 2}, DynamicGrid.choose(900, 900, 448, 1, 12));
        // 1000x1000 = 1e6 > 903168 takes (3,3)
        assertArrayEquals(new int[] {3, 3}, DynamicGrid.choose(1000, 1000, 448, 1, 12));
        // the tie rule uses the tile size: with 224 tiles 448x448 = 200704 > 0.5 * 224^2 * 4 = 100352
        // takes (2,2), but not > 0.5 * 224^2 * 9 = 225792 for (3,3)
        assertArrayEquals(new int[] {2, 2}, DynamicGrid.choose(448, 448, 224, 1, 9));
    }

    @Test
    void minimumTileCountExcludesSmallGrids() {
        assertArrayEquals(new int[] {2, 2}, DynamicGrid.choose(448, 448, 448, 2, 6));
        // tall 300x1000: aspect 0.3; 1/3 is closest (|0.3 - 0.333| = 0.033 < |0.3 - 0.25| = 0.05)
        assertArrayEquals(new int[] {1, 3}, DynamicGrid.choose(300, 1000, 448, 1, 6));
        // with at most 2 tiles the same image can only get 1x2
        assertArrayEquals(new int[] {1, 2}, DynamicGrid.choose(300, 1000, 448, 1, 2));
    }

    @Test
    void candidatesAreOrderedByTileCount() {
        var c = DynamicGrid.candidates(1, 4);
        assertEquals(8, c.size()); // 1x1, 1x2, 2x1, 1x3, 3x1, 1x4, 2x2, 4x1
        for (int i = 1; i < c.size(); i++) {
            assertEquals(true, c.get(i - 1)[0] * c.get(i - 1)[1] <= c.get(i)[0] * c.get(i)[1]);
        }
        assertThrows(IllegalArgumentException.class, () -> DynamicGrid.candidates(3, 2));
    }
}
