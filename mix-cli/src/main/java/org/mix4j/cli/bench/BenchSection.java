package org.mix4j.cli.bench;

import org.mix4j.cli.CliContext;
import org.pf4j.ExtensionPoint;
import picocli.CommandLine.Command;

/**
 * One section of {@code mix bench}: a picocli {@code @Command} (implementing
 * {@code Callable<Integer>}) marked {@code @Extension}. Its command name becomes the subcommand
 * ({@code mix bench retrieval}); {@code mix bench} without a section runs every section in
 * {@link #order()} (but those not {@link #inAll()}). A section measures in {@link #run(BenchRun)} and adds {@link BenchResult} rows,
 * so every section prints the same table and writes the same JSON; ratios against the machine's
 * own throughput come from {@link BenchRun#machine()}, measured once per process.
 *
 * <p>Sections extend {@link AbstractBenchSection}, which runs a section alone ({@code call()}) and
 * carries the shared {@code --quick} and {@code --json} options.
 */
public interface BenchSection extends ExtensionPoint {

    /** Called before the section runs, with the shared CLI context. */
    void init(CliContext context);

    /** Measures and adds its rows to {@code run}. */
    void run(BenchRun run) throws Exception;

    /** Position when every section runs (the machine probes first, the slowest last). */
    default int order() {
        return 50;
    }

    /** Whether {@code mix bench} without a section runs this one (a long one runs only when named). */
    default boolean inAll() {
        return true;
    }

    /** The subcommand name, from the section's {@code @Command}. */
    static String nameOf(BenchSection section) {
        Command command = section.getClass().getAnnotation(Command.class);
        if (command == null || command.name().isEmpty()) {
            throw new IllegalStateException(section.getClass().getName() + " is a BenchSection without @Command(name = ...)");
        }
        return command.name();
    }
}
