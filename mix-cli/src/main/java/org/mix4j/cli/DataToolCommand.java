package org.mix4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** What the streaming {@code mix data} commands share: the I/O options and the CLI context. */
abstract class DataToolCommand implements Callable<Integer>, Mix.ContextAware {

    @Mixin
    DataIoOptions io;

    CliContext context;

    @Override
    public void init(CliContext cliContext) {
        this.context = cliContext;
    }

    /** A command from one input file to one output file. */
    abstract static class InOut extends DataToolCommand {

        @Parameters(index = "0", paramLabel = "IN", description = "Input file.")
        Path in;

        @Parameters(index = "1", paramLabel = "OUT", description = "Output file (.json: a JSON array; else JSONL).")
        Path out;
    }
}
