package org.mix4j.cli.bench;

import java.util.concurrent.Callable;
import org.mix4j.cli.CliContext;
import picocli.CommandLine.Mixin;

/**
 * What every {@code mix bench} section shares: the {@code --quick} / {@code --json} options, the CLI
 * context, and running itself alone ({@code mix bench SECTION}). A section extends this, adds its
 * {@code @Command}, {@code @Extension} and own options, and implements {@link #run(BenchRun)}
 * (and {@link #order()} to place itself in a full run).
 */
public abstract class AbstractBenchSection implements Callable<Integer>, BenchSection {

    @Mixin
    protected BenchOptions options = new BenchOptions();

    private CliContext context;

    @Override
    public void init(CliContext context) {
        this.context = context;
    }

    /** Runs this section alone. */
    @Override
    public Integer call() {
        return BenchRun.execute(context, options, this);
    }
}
