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
}
