package org.mix4j.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class BenchStatsTest {

    @Test
    void summarisesOddAndEvenCountsWithoutSortingTheInput() {
        double[] odd = {5, 1, 3};
        BenchStats s = BenchStats.of(odd);
        assertEquals(3, s.medianMs());
        assertEquals(1, s.minMs());
        assertEquals(5, s.maxMs());
        assertEquals(3, s.meanMs(), 1e-12);
        assertEquals(5, odd[0], "input left as it was");
        assertEquals(2.5, BenchStats.of(new double[] {4, 1, 2, 3}).medianMs());
    }

    @Test
    void p90IsTheValueNinetyPercentOfRunsDoNotExceed() {
        double[] ms = new double[100];
        for (int i = 0; i < ms.length; i++) {
            ms[i] = 100 - i; // 1..100, reversed
        }
        assertEquals(90, BenchStats.of(ms).p90Ms());
        assertEquals(7, BenchStats.of(new double[] {7}).p90Ms());
    }

    @Test
    void jsonCarriesEveryNumber() {
        var json = BenchStats.of(new double[] {2, 4}).toJson();
        assertEquals(2, json.get("runs").getAsInt());
        assertEquals(3, json.get("median_ms").getAsDouble());
        assertEquals(2, json.get("min_ms").getAsDouble());
        assertEquals(4, json.get("max_ms").getAsDouble());
    }

    @Test
    void refusesNoTimings() {
        assertThrows(IllegalArgumentException.class, () -> BenchStats.of(new double[0]));
    }
}
