package org.mix4j.cli;

import java.util.concurrent.Callable;
import org.pf4j.Extension;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code mix bench machine}: the probes every other section is compared with ({@link MachineProfile}). */
@Extension
@Command(name = "machine", mixinStandardHelpOptions = true,
        description = "fp32 matmul GFLOP/s, streaming-read GB/s, matvec GB/s and per-op overhead, through DJL.")
public final class MachineBench implements Callable<Integer>, BenchSection {

    @Mixin
    BenchOptions options = new BenchOptions();

    private CliContext context;

    @Override
    public void init(CliContext context) {
        this.context = context;
    }

    @Override
    public int order() {
        return 0;
    }

    @Override
    public void run(BenchRun run) {
        run.machine();
    }

    @Override
    public Integer call() {
        return BenchRun.execute(context, options, this);
    }
}
