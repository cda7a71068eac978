package org.mix4j.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import org.junit.jupiter.api.Test;

class BenchResultTest {

    @Test
    void rateTurnsRunTimesIntoWorkPerSecondWithTheSlowestRunAsMinimum() {
        // 128 tokens in 1, 2 and 4 seconds
        BenchResult r = BenchResult.rate("llm", "m", "prefill", "tok/s", new double[] {2000, 1000, 4000}, 128);
        assertEquals(64, r.median(), 1e-9);
        assertEquals(32, r.min(), 1e-9);
        assertEquals(128, r.max(), 1e-9);
        assertEquals(3, r.runs());
        assertThrows(IllegalArgumentException.class,
                () -> BenchResult.rate("s", "m", "x", "u", new double[] {1, 0}, 1));
    }

    @Test
    void secondsAndRatios() {
        BenchResult r = BenchResult.seconds("unet", "step", "step", new double[] {1500, 2500});
        assertEquals(2.0, r.median(), 1e-12);
        assertEquals("s", r.unit());
        BenchResult compared = r.relativeTo(4.0, "budget");
        assertEquals(0.5, compared.ratio(), 1e-12);
        assertEquals("budget", compared.ratioOf());
    }

    @Test
    void jsonCarriesTheRowAndItsDetails() {
        JsonObject o = BenchResult.of("vision", "vit", "batch 8", "images/s", new double[] {3, 1, 2})
                .withRatio(0.75, "matmul throughput").detail("flops", 35e9).toJson();
        assertEquals("vision", o.get("section").getAsString());
        assertEquals("batch 8", o.get("metric").getAsString());
        assertEquals(2, o.get("median").getAsDouble());
        assertEquals(1, o.get("min").getAsDouble());
        assertEquals(3, o.get("max").getAsDouble());
        assertEquals(0.75, o.get("ratio").getAsDouble());
        assertEquals(35e9, o.getAsJsonObject("details").get("flops").getAsDouble());
        assertFalse(BenchResult.of("a", "b", "c", "d", new double[] {1}).toJson().has("ratio"));
    }

    @Test
    void tableRowsAlignAndShowTheRatio() {
        String row = BenchTable.row(BenchResult.of("llm", "qwen2-0.5b float32", "decode", "tok/s",
                new double[] {11.234, 10.5, 12}).withRatio(0.734, "read bandwidth"));
        assertTrue(row.startsWith("llm       qwen2-0.5b float32"), row);
        assertTrue(row.contains("11.23") && row.contains("10.50") && row.endsWith("0.73 of read bandwidth"), row);
        assertEquals(BenchTable.header().indexOf("median") + "median".length(), row.indexOf("11.23") + "11.23".length());
        assertEquals("1234", BenchTable.number(1234.4));
        assertEquals("0.500", BenchTable.number(0.5));
        assertEquals("1.23e-05", BenchTable.number(0.0000123));
    }
}
