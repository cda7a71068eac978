package org.mix4j.tiling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Worked examples, computed by hand from the reference algorithm. */
class AnyResTest {

    static final List<List<Integer>> PINPOINTS = List.of(List.of(32, 64), List.of(64, 32), List.of(64, 64),
            List.of(32, 96), List.of(96, 32));

    @Test
    void selectsTheResolutionKeepingMostPixelsThenWastingLeast() {
        // 30x50: (32,64) keeps min(53*32, 1500) = 1500 and wastes 548; (64,64) and (32,96) keep 1500, waste more
        assertArrayEquals(new int[] {32, 64}, AnyRes.selectBestResolution(30, 50, PINPOINTS));
        // 40x90: (32,96) scales by 0.8 to 72x32 = 2304 pixels, more than any other
        assertArrayEquals(new int[] {32, 96}, AnyRes.selectBestResolution(40, 90, PINPOINTS));
        // 33x33: only (64,64) keeps all 1089 pixels
        assertArrayEquals(new int[] {64, 64}, AnyRes.selectBestResolution(33, 33, PINPOINTS));
        // LLaVA-1.6 pinpoints, a 1000x500 (h x w) photo: (672, 336) has its aspect and keeps 672*336 pixels
        List<List<Integer>> llava16 = List.of(List.of(336, 672), List.of(672, 336), List.of(672, 672),
                List.of(1008, 336), List.of(336, 1008));
        assertArrayEquals(new int[] {672, 336}, AnyRes.selectBestResolution(1000, 500, llava16));
    }

    @Test
    void fitsKeepingAspectWithTheLimitingSideExact() {
        assertArrayEquals(new int[] {32, 72}, AnyRes.fitSize(40, 90, 32, 96));
        // width limits: 64/95 < 32/30, height ceil(30 * 64/95 = 20.2) = 21
        assertArrayEquals(new int[] {21, 64}, AnyRes.fitSize(30, 95, 32, 64));
    }

    @Test
    void unpadsTheColumnsOfAWideFeatureMap() {
        // 40x90 image in a 1x3 grid of 4x4 feature tiles: 4 x 12 map; width 90 * 4/40 = 9 -> pad (12-9)//2 = 1
        assertArrayEquals(new int[] {0, 4, 1, 11}, AnyRes.unpaddedRegion(4, 12, 40, 90));
        // a tall image in a square map loses rows: 60x20 in 8x8, height 60 * 8/20 = 24 > 8 -> columns:
        // aspect 20/60 < 1 -> width 20 * 8/60 = 2.67 -> 2, pad (8-2)//2 = 3
        assertArrayEquals(new int[] {0, 8, 3, 5}, AnyRes.unpaddedRegion(8, 8, 60, 20));
        // wide in square: 20x60 in 8x8 -> height 20 * 8/60 = 2.67 -> 2, rows 3..5
        assertArrayEquals(new int[] {3, 5, 0, 8}, AnyRes.unpaddedRegion(8, 8, 20, 60));
    }

    @Test
    void anyresMaxShrinksOnlyBeyondTheTenPercentMargin() {
        assertArrayEquals(new int[] {27, 27}, AnyRes.maxPatchesSize(54, 54, 27, 1));
        assertArrayEquals(new int[] {54, 54}, AnyRes.maxPatchesSize(54, 54, 27, 4));
        // ratio sqrt(54*81 / (2*27*27)) = sqrt(3) = 1.732 -> floor(54/1.732) = 31, floor(81/1.732) = 46
        assertArrayEquals(new int[] {31, 46}, AnyRes.maxPatchesSize(54, 81, 27, 2));
    }

    @Test
    void selectsAcrossOneByThreeThreeByOneAndTwoByThreeGrids() {
        List<List<Integer>> grids = List.of(List.of(336, 1008), List.of(1008, 336), List.of(672, 1008));
        // 100 x 1000 (h x w): (336,1008) scales by 1.008 -> 1008x100 -> keeps all 100000, wastes 238688;
        // (1008,336) scales by 0.336 -> 336x33 = 11088; (672,1008) keeps 100000 but wastes 577376
        assertArrayEquals(new int[] {336, 1008}, AnyRes.selectBestResolution(100, 1000, grids));
        // transposed: 1000 x 100 -> (1008,336)
        assertArrayEquals(new int[] {1008, 336}, AnyRes.selectBestResolution(1000, 100, grids));
        // 600 x 900: (672,1008) scales by 1.12 -> keeps all 540000; (336,1008) keeps 504x336 = 169344
        assertArrayEquals(new int[] {672, 1008}, AnyRes.selectBestResolution(600, 900, grids));
    }

    @Test
    void keepsTheFirstCandidateOnAnExactTie() {
        // 100 x 100 in (336,672) or (672,336): both keep 10000 and waste 215792; strict comparisons keep the first
        assertArrayEquals(new int[] {336, 672},
                AnyRes.selectBestResolution(100, 100, List.of(List.of(336, 672), List.of(672, 336))));
        assertArrayEquals(new int[] {672, 336},
                AnyRes.selectBestResolution(100, 100, List.of(List.of(672, 336), List.of(336, 672))));
        // equal kept resolution, later candidate wastes less: it wins
        assertArrayEquals(new int[] {336, 1008},
                AnyRes.selectBestResolution(100, 1000, List.of(List.of(672, 1008), List.of(336, 1008))));
    }

    @Test
    void selectsForAnExtremeAspectRatio() {
        List<List<Integer>> llava16 = List.of(List.of(336, 672), List.of(672, 336), List.of(672, 672),
                List.of(1008, 336), List.of(336, 1008));
        // 13 x 2000: (336,1008) scales by 0.504 -> 1008 x int(6.552) = 6 -> 6048, more than (336,672): 672 x 4
        assertArrayEquals(new int[] {336, 1008}, AnyRes.selectBestResolution(13, 2000, llava16));
        // 1 x 5000: every candidate keeps int(h * scale) = 0 rows; the first with least waste, (336,672), wins
        assertArrayEquals(new int[] {336, 672}, AnyRes.selectBestResolution(1, 5000, llava16));
    }

    @Test
    void fitRoundsTheFreeSideUpAndCapsIt() {
        // 13 x 2000 into 336 x 1008: width limits (0.504), height ceil(6.552) = 7
        assertArrayEquals(new int[] {7, 1008}, AnyRes.fitSize(13, 2000, 336, 1008));
        // 10 x 12 into 7 x 14 (tile 7): height limits (0.7), width ceil(8.4) = 9
        assertArrayEquals(new int[] {7, 9}, AnyRes.fitSize(10, 12, 7, 14));
        // exact aspect: 200 x 300 into 448 x 672 (2x3 of 224) fills it
        assertArrayEquals(new int[] {448, 672}, AnyRes.fitSize(200, 300, 448, 672));
    }

    @Test
    void padsByHalfTheMarginOnBothSides() {
        // 4.47 _pad_for_patching: (target - fit) // 2 before and after, so odd margins lose a pixel
        assertArrayEquals(new int[] {164, 0}, AnyRes.padding(7, 1008, 336, 1008));
        assertArrayEquals(new int[] {0, 2}, AnyRes.padding(7, 9, 7, 14));
        assertArrayEquals(new int[] {0, 0}, AnyRes.padding(448, 672, 448, 672));
    }
}
