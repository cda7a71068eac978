package org.mix4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.mix4j.data.ops.DataRun;
import org.mix4j.data.ops.RunReport;
import org.mix4j.data.ops.Splitting;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code mix data split}: train/val/test by ratios, stable under changes to the rest of the data. */
@Command(name = "split", mixinStandardHelpOptions = true,
        description = "Split into parts by ratios; each sample's part comes from a seeded hash of the sample (its id, "
                + "else its images and text), so it does not move when other samples are added or reordered.")
final class DataSplitCommand extends DataToolCommand {

    @Parameters(index = "0", paramLabel = "IN", description = "Input file.")
    Path in;

    @Option(names = "--out-dir", required = true, paramLabel = "DIR", description = "Folder for NAME.EXT, one a part "
            + "(EXT: the input's, json or jsonl).")
    Path outDir;

    @Option(names = "--ratios", defaultValue = "0.8,0.1,0.1", split = ",", paramLabel = "R",
            description = "Shares (default: ${DEFAULT-VALUE}).")
    List<Double> ratios;

    @Option(names = "--names", defaultValue = "train,val,test", split = ",", paramLabel = "NAME",
            description = "Part names (default: ${DEFAULT-VALUE}).")
    List<String> names;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() {
        if (ratios.size() != names.size()) {
            throw new IllegalArgumentException("--ratios has " + ratios.size() + " values but --names " + names.size());
        }
        if (ratios.stream().anyMatch(r -> r < 0) || ratios.stream().mapToDouble(Double::doubleValue).sum() <= 0) {
            throw new IllegalArgumentException("--ratios must be non-negative with a positive sum, got " + ratios);
        }
        String ext = in.getFileName().toString().endsWith(".json") ? ".json" : ".jsonl";
        List<Splitting.Part> parts = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            parts.add(new Splitting.Part(names.get(i), ratios.get(i), outDir.resolve(names.get(i) + ext)));
        }
        DataRun run = io.run(context, in);
        RunReport r = Splitting.split(run, in, parts, seed);
        StringBuilder b = new StringBuilder("split " + r.json().getAsJsonObject("inputs").get(in.toString()) + " records:");
        r.outputs().forEach((file, n) -> b.append(' ').append(Path.of(file).getFileName()).append(' ').append(n));
        io.finish(context, r, b.toString());
        return 0;
    }
}
