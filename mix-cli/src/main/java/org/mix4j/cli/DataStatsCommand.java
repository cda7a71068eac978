package org.mix4j.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.mix4j.data.ops.DataRun;
import org.mix4j.data.ops.Stats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code mix data stats}: counts, histograms and tag frequencies, printed and as JSON. */
@Command(name = "stats", mixinStandardHelpOptions = true,
        description = "Count samples, images and messages; histograms of text length and image size (shorter side, "
                + "from the file headers); tag frequencies. Printed, and as JSON with --json.")
final class DataStatsCommand extends DataToolCommand {

    @Parameters(index = "0", paramLabel = "IN", description = "Input file.")
    Path in;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the numbers as JSON (- for stdout only).")
    String json;

    @Option(names = "--no-images", description = "Do not open the images (no size histogram; faster).")
    boolean noImages;

    @Override
    public Integer call() {
        DataRun run = io.run(context, in);
        JsonObject stats = Stats.of(run, in, !noImages);
        String text = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(stats) + "\n";
        if ("-".equals(json)) {
            context.out().print(text);
        } else {
            context.out().print(Stats.describe(stats));
            if (json != null) {
                try {
                    Files.writeString(Path.of(json), text);
                } catch (IOException e) {
                    throw new UncheckedIOException(json + ": cannot write: " + e.getMessage(), e);
                }
            }
        }
        context.out().flush();
        return 0;
    }
}
