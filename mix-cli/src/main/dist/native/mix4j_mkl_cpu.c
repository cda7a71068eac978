/*
 * Preloaded by the launchers (bin/mix, ./mix) on AMD processors with AVX-512. oneMKL, linked into
 * the bundled libtorch, asks these two functions whether the CPU is Intel's (each compares the
 * CPUID vendor string with "GenuineIntel") and, when it is not, runs its matrix products on a
 * generic code path that leaves about half of a Zen 4/5 core's float throughput unused
 * (docs/performance.md, "oneMKL's code path"). Answering yes lets it pick its kernels by the CPU's
 * feature flags, which it checks on its own. MIX_MKL_CPU=generic in the environment turns this off.
 */
int mkl_serv_intel_cpu_true(void) { return 1; }

int mkl_serv_intel_cpu(void) { return 1; }
