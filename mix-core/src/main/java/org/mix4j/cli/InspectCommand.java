package org.mix4j.cli;

import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.mix4j.weights.Checkpoint;
import org.mix4j.weights.SafeTensorsFile;
import org.mix4j.weights.TensorInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "List the tensors of a safetensors file or checkpoint directory (sharded or not): names, "
                + "dtypes, shapes and the total parameter count. Broken or hostile files are reported, not read.")
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
        var out = context.out();
        try (Checkpoint c = Checkpoint.open(checkpoint)) {
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
        }
        return 0;
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
