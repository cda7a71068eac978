package org.mix4j.cli.bench;

import org.pf4j.Extension;
import picocli.CommandLine.Command;

/** {@code mix bench machine}: the probes every other section is compared with ({@link MachineProfile}). */
@Extension
@Command(name = "machine", mixinStandardHelpOptions = true,
        description = "fp32 matmul GFLOP/s, streaming-read GB/s, matvec GB/s and per-op overhead, through DJL.")
public final class MachineBench extends AbstractBenchSection {

    @Override
    public int order() {
        return 0;
    }

    @Override
    public void run(BenchRun run) {
        run.machine();
    }
}
