package org.mix4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Resident memory of this process from {@code /proc/self/status} (Linux): {@code VmRSS} now and
 * {@code VmHWM}, the peak since the process started or since {@link #resetPeak()}. Both count the
 * whole process (Java heap, native tensors, libraries), not one model; a peak measured after a
 * reset is the highest resident size reached from then on.
 */
public final class ProcessMemory {

    private static final Path STATUS = Path.of("/proc/self/status");
    private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");

    private ProcessMemory() {}

    /**
     * Resident and peak resident bytes, and the anonymous part of the resident bytes (heap and
     * native allocations, without mapped files); {@code -1} each where the system does not say.
     */
    public record Usage(long rssBytes, long peakBytes, long anonBytes) {}

    public static Usage read() {
        try {
            return parse(Files.readString(STATUS));
        } catch (IOException | RuntimeException e) {
            return new Usage(-1, -1, -1);
        }
    }

    /** Reads the {@code VmRSS:}, {@code VmHWM:} and {@code RssAnon:} lines ({@code kB}) of a status file. */
    static Usage parse(String status) {
        long rss = -1;
        long hwm = -1;
        long anon = -1;
        for (String line : status.split("\n")) {
            if (line.startsWith("VmRSS:")) {
                rss = kilobytes(line);
            } else if (line.startsWith("VmHWM:")) {
                hwm = kilobytes(line);
            } else if (line.startsWith("RssAnon:")) {
                anon = kilobytes(line);
            }
        }
        return new Usage(rss, hwm, anon);
    }

    private static long kilobytes(String line) {
        String[] parts = line.substring(line.indexOf(':') + 1).trim().split("\\s+");
        return Long.parseLong(parts[0]) * 1024;
    }

    /**
     * Sets the peak back to the current resident size (writing 5 to {@code /proc/self/clear_refs},
     * Linux 4.0+), so the next {@link #read()} shows the peak of what ran in between.
     *
     * @return whether the system allowed it
     */
    public static boolean resetPeak() {
        try {
            Files.writeString(CLEAR_REFS, "5");
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** {@code peak resident memory 1.23 GiB} (VmHWM, the whole process), or "" where the system does not say. */
    public static String peakText() {
        long peak = read().peakBytes();
        return peak < 0 ? "" : String.format(java.util.Locale.ROOT, "peak resident memory %.2f GiB", peak / 1073741824.0);
    }
}
