package org.mix4j.cli;

import org.mix4j.data.ops.DataRun;
import org.mix4j.data.ops.RunReport;
import org.mix4j.data.ops.Sampling;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mix data sample}: a seeded random subset, in input order. */
@Command(name = "sample", mixinStandardHelpOptions = true,
        description = "A seeded random subset in input order: exactly --count N samples, or each with probability --fraction F.")
final class DataSampleCommand extends DataToolCommand.InOut {

    static final class Size {
        @Option(names = "--count", required = true, paramLabel = "N", description = "How many samples (all when fewer).")
        Long count;

        @Option(names = "--fraction", required = true, paramLabel = "F", description = "Keep each sample with probability F.")
        Double fraction;
    }

    @ArgGroup(multiplicity = "1")
    Size size;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() {
        DataRun run = io.run(context, in);
        RunReport r = size.count != null ? Sampling.count(run, in, out, size.count, seed)
                : Sampling.fraction(run, in, out, size.fraction, seed);
        io.finish(context, r, "sampled " + r.written() + " of "
                + r.json().getAsJsonObject("inputs").get(in.toString()).getAsLong() + " samples into " + out);
        return 0;
    }
}
