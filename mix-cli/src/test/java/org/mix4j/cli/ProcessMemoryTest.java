package org.mix4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ProcessMemoryTest {

    @Test
    void readsResidentPeakAndAnonymousKilobytes() {
        ProcessMemory.Usage u = ProcessMemory.parse("Name:\tjava\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n"
                + "RssAnon:\t   512 kB\nRssFile:\t 512 kB\n");
        assertEquals(1024 * 1024, u.rssBytes());
        assertEquals(2048 * 1024, u.peakBytes());
        assertEquals(512 * 1024, u.anonBytes());
        ProcessMemory.Usage none = ProcessMemory.parse("Name:\tjava\n");
        assertEquals(-1, none.rssBytes());
        assertEquals(-1, none.peakBytes());
    }

    @Test
    void thePeakCoversAnAllocationAndCanBeReset() {
        assumeTrue(Files.isReadable(Path.of("/proc/self/status")), "Linux only");
        byte[] big = new byte[64 << 20];
        java.util.Arrays.fill(big, (byte) 1);
        ProcessMemory.Usage u = ProcessMemory.read();
        assertTrue(u.rssBytes() > big.length && u.peakBytes() >= u.rssBytes(), u.toString());
        if (ProcessMemory.resetPeak()) {
            ProcessMemory.Usage after = ProcessMemory.read();
            assertTrue(after.peakBytes() <= after.rssBytes() + (16 << 20), after.toString());
        }
        assertEquals(1, big[big.length - 1]);
    }
}
