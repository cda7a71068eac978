package org.mix4j.cli;

import org.mix4j.data.ops.DataRun;
import org.mix4j.data.ops.RunReport;
import picocli.CommandLine.Command;

/** {@code mix data convert}: one sample format to another, keeping the fields it does not know. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Convert between LLaVA, ShareGPT, OpenAI-messages and image-caption files (JSON array or JSONL), "
                + "keeping every field the formats do not define. Relative image paths are rewritten to the output's "
                + "folder.")
final class DataConvertCommand extends DataToolCommand.InOut {

    @Override
    public Integer call() {
        long start = System.nanoTime();
        DataRun run = io.run(context, in);
        RunReport r = run.transform(in, out, s -> s, new RunReport("convert"));
        io.finish(context, r, String.format(java.util.Locale.ROOT, "converted %d samples into %s in %.1f s", r.written(),
                out, (System.nanoTime() - start) / 1e9));
        return 0;
    }
}
