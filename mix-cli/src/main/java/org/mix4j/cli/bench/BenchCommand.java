package org.mix4j.cli.bench;

import java.util.List;
import java.util.concurrent.Callable;
import org.mix4j.cli.CliCommand;
import org.mix4j.cli.CliContext;
import org.pf4j.DefaultPluginManager;
import org.pf4j.Extension;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/**
 * {@code mix bench [SECTION]}: measurements taken by a command rather than by timed tests, on
 * randomly initialised models at real shapes. Sections are {@link BenchSection} extensions found
 * on the classpath, added as subcommands; without one, every section runs.
 */
@Extension
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure throughput at real model shapes (random weights, no downloads): every section, "
                + "or the one named. Prints a table (median, min, max of several runs) and writes a JSON report.")
public final class BenchCommand implements Callable<Integer>, CliCommand {

    private final List<BenchSection> sections =
            new DefaultPluginManager(List.of()).getExtensions(BenchSection.class);

    @Mixin
    BenchOptions options = new BenchOptions();

    @Option(names = "--list", description = "List the sections and exit.")
    boolean list;

    @Spec
    CommandSpec spec;

    private CliContext context;

    @Override
    public void init(CliContext context) {
        this.context = context;
        sections.forEach(s -> s.init(context));
    }

    @Override
    public Integer call() {
        if (list) {
            context.out().println("Sections of mix bench (mix bench SECTION --help for its options):");
            sections.stream().sorted(java.util.Comparator.comparingInt(BenchSection::order)).forEach(s -> {
                String[] description = new CommandLine(s).getCommandSpec().usageMessage().description();
                context.out().printf("  %-10s %s%n", BenchSection.nameOf(s), description.length == 0 ? "" : description[0]);
            });
            return 0;
        }
        List<BenchSection> all = sections.stream().filter(BenchSection::inAll).toList();
        for (BenchSection s : all) {
            // a section that runs as part of all gets its own options' defaults, as if named alone
            spec.subcommands().get(BenchSection.nameOf(s)).parseArgs();
        }
        return BenchRun.execute(context, options, all.toArray(BenchSection[]::new));
    }

    /**
     * Adds one subcommand per section. picocli calls this while it builds the command's model, so
     * the sections exist before any argument is parsed (a model transformer would not run for a
     * command added to the root with {@code addSubcommand}).
     */
    @Spec
    void addSections(CommandSpec spec) {
        for (BenchSection section : sections) {
            CommandLine sub = new CommandLine(section);
            spec.addSubcommand(sub.getCommandName(), sub);
        }
    }
}
