package org.mix4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.mix4j.llm.quantize.QuantizedCheckpoint;
import org.pf4j.Extension;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mix quantize}: a LLaMA-family checkpoint written pre-quantized to int8 (QuantizedCheckpoint). */
@Extension
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = "Write a llama / qwen2 / mistral checkpoint folder pre-quantized to int8 (weight-only, one scale "
                + "per output row, the values quantize: int8 computes at load): --model DIR of it then loads as int8 "
                + "with no floating-point copy and no quantizing. Norms and biases stay floating point.")
public final class QuantizeCommand implements Callable<Integer>, CliCommand {

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "The Hugging Face checkpoint folder.")
    Path model;

    @Option(names = "--out", required = true, paramLabel = "DIR",
            description = "Where the quantized folder goes: a new or empty folder (nothing is overwritten).")
    Path out;

    private CliContext context;

    @Override
    public void init(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() throws IOException {
        long start = System.nanoTime();
        QuantizedCheckpoint.Report r = QuantizedCheckpoint.write(model, out);
        context.out().printf(Locale.ROOT, "%s: %d tensors quantized to int8, %d copied; %.2f GB -> %.2f GB in %.1f s%n",
                out.resolve("model.safetensors"), r.quantized(), r.copied(), r.sourceBytes() / 1e9,
                r.writtenBytes() / 1e9, (System.nanoTime() - start) / 1e9);
        return 0;
    }
}
