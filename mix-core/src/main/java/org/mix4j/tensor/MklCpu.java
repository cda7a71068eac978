package org.mix4j.tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Which code path oneMKL (the engine's float32 matrix products) runs in this process: on AMD
 * processors the launchers preload {@code libmix4j_mkl_cpu.so} ({@code MIX_MKL_CPU},
 * mix-cli/src/main/dist/native/, docs/performance.md) so that it picks its kernels by the CPU's
 * features instead of its generic ones. Read from the process's own mappings, not the environment.
 */
public final class MklCpu {

    private MklCpu() {}

    /** Whether the shim is mapped into this process (false where {@code /proc/self/maps} cannot be read). */
    public static boolean shimLoaded() {
        try {
            return Files.readAllLines(Path.of("/proc/self/maps")).stream().anyMatch(l -> l.endsWith("/libmix4j_mkl_cpu.so"));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** {@code kernels by CPU features (libmix4j_mkl_cpu.so preloaded)} or {@code kernels by its own CPU check}. */
    public static String describe() {
        return shimLoaded() ? "kernels by CPU features (libmix4j_mkl_cpu.so preloaded)" : "kernels by its own CPU check";
    }
}
