package org.mix4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.mix4j.data.ops.DataRun;
import org.mix4j.data.ops.Mixing;
import org.mix4j.data.ops.RunReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code mix data mix}: several inputs into one by ratios, seeded. */
@Command(name = "mix", mixinStandardHelpOptions = true,
        description = "Mix several inputs into one file by ratios (FILE:RATIO ...), interleaved at random with a seed. "
                + "Without --total, the largest mix that repeats no sample; with it, inputs that are short are repeated.")
final class DataMixCommand extends DataToolCommand {

    @Parameters(arity = "1..*", paramLabel = "FILE:RATIO", description = "Inputs and their shares (a.jsonl:0.7 b.jsonl:0.3).")
    List<String> inputs;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "OUT", description = "Output file.")
    Path out;

    @Option(names = "--total", paramLabel = "N", description = "Samples in the mix.")
    Long total;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() {
        List<Mixing.Part> parts = new ArrayList<>();
        for (String s : inputs) {
            int colon = s.lastIndexOf(':');
            try {
                parts.add(new Mixing.Part(Path.of(s.substring(0, colon)), Double.parseDouble(s.substring(colon + 1))));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("'" + s + "': expected FILE:RATIO, e.g. captions.jsonl:0.3");
            }
        }
        DataRun run = io.run(context, parts.get(0).file());
        RunReport r = Mixing.mix(run, parts, out, total, seed);
        io.finish(context, r, "mixed " + r.written() + " samples from " + parts.size() + " inputs into " + out);
        return 0;
    }
}
