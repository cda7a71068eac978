package org.mix4j.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.mix4j.weights.Checkpoint;
import org.mix4j.weights.SafeTensorsFile;
import org.mix4j.weights.TensorInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "List the tensors of a safetensors file or checkpoint directory (sharded or not; a diffusers "
                + "pipeline folder component by component): names, dtypes, shapes and the total parameter count. "
                + "Broken or hostile files are reported, not read.")
final class InspectCommand implements Callable<Integer>, Mix.ContextAware {

    @Parameters(paramLabel = "CHECKPOINT", description = "A .safetensors file, an index.json, or a directory.")
    Path checkpoint;

    @Option(names = "--summary", description = "Only the totals.")
    boolean summary;

    private CliContext context;

    @Override
    public void init(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        if (Files.isDirectory(checkpoint) && Files.isRegularFile(checkpoint.resolve("model_index.json"))) {
            return pipelineFolder();
        }
        long[] totals = inspect(checkpoint);
        context.out().printf("%d tensors, %,d parameters (%s)%n", totals[0], totals[1], human(totals[1]));
        return 0;
    }

    /** A diffusers pipeline folder: every component sub-folder that holds tensors. */
    private int pipelineFolder() {
        List<Path> components;
        try (Stream<Path> s = Files.list(checkpoint)) {
            components = s.filter(Files::isDirectory).filter(InspectCommand::hasSafetensors).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(checkpoint + ": cannot list: " + e.getMessage(), e);
        }
        long tensors = 0;
        long params = 0;
        for (Path c : components) {
            context.out().println("## " + c.getFileName());
            long[] t = inspect(c);
            tensors += t[0];
            params += t[1];
        }
        context.out().printf("pipeline: %d component(s), %d tensors, %,d parameters (%s)%n", components.size(), tensors,
                params, human(params));
        return 0;
    }

    private static boolean hasSafetensors(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.anyMatch(p -> p.getFileName().toString().endsWith(".safetensors"));
        } catch (IOException e) {
            return false;
        }
    }

    /** Lists one checkpoint; returns {tensors, parameters}. */
    private long[] inspect(Path path) {
        var out = context.out();
        try (Checkpoint c = Checkpoint.open(path)) {
            long params = 0;
            long bytes = 0;
            Map<String, Long> byDtype = new TreeMap<>();
            for (SafeTensorsFile f : c.files()) {
                if (!summary) {
                    out.println("# " + f.path());
                }
                for (TensorInfo t : f.tensors().values()) {
                    if (!summary) {
                        out.printf("%-64s %-5s %s%n", t.name(), t.dtype(), t.shape());
                    }
                    params += t.shape().size();
                    bytes += t.byteSize();
                    byDtype.merge(t.dtype().name(), t.shape().size(), Long::sum);
                }
            }
            out.printf("%d tensors in %d file(s), %,d parameters (%s), %s%n", c.tensors().size(), c.files().size(),
                    params, human(params), bytesText(bytes));
            out.println("by dtype: " + byDtype);
            return new long[] {c.tensors().size(), params};
        }
    }

    private static String human(long n) {
        if (n >= 1_000_000_000L) {
            return String.format("%.2fB", n / 1e9);
        }
        if (n >= 1_000_000L) {
            return String.format("%.2fM", n / 1e6);
        }
        return String.format("%.1fK", n / 1e3);
    }

    private static String bytesText(long b) {
        return b >= 1 << 20 ? String.format("%.1f MiB", b / 1048576.0) : String.format("%.1f KiB", b / 1024.0);
    }
}
