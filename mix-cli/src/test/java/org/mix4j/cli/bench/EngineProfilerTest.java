package org.mix4j.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class EngineProfilerTest {

    private static String event(String name, int tid, double ts, double dur) {
        return String.format(java.util.Locale.ROOT, "{\"name\":\"%s\",\"ph\":\"X\",\"tid\":%d,\"ts\":%.1f,\"dur\":%.1f}",
                name, tid, ts, dur);
    }

    @Test
    void countsTopLevelOpsOnceAndSeparatesKernelsAndCopies() {
        String trace = "{\"traceEvents\":[" + String.join(",",
                event("aten::matmul", 1, 0, 1000), event("aten::mm", 1, 10, 980), // mm runs inside matmul
                event("aten::add", 1, 1000, 200),
                event("aten::cat", 1, 1300, 300), event("aten::copy_", 1, 1310, 250),
                event("aten::conv2d", 2, 0, 500), // another thread: its own top level
                "{\"name\":\"meta\",\"ph\":\"M\"}") + "]}";
        EngineProfiler.Summary s = EngineProfiler.summarise(trace);
        assertEquals(4, s.ops());
        assertEquals(2.0, s.opMillis(), 1e-9);
        assertEquals(1.5, s.kernelMillis(), 1e-9);
        assertEquals(1, s.copyOps());
        assertEquals(0.3, s.copyMillis(), 1e-9);
        assertEquals(0.25, s.outsideKernels(), 1e-9);
        assertEquals("aten::matmul", s.byName().get(0).name());
        assertTrue(EngineProfiler.top(s, 2).startsWith("matmul 1x 1.0 ms, conv2d 1x 0.5 ms"), EngineProfiler.top(s, 2));
    }
}
