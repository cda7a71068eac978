package org.mix4j.cli;

import java.util.List;
import org.pf4j.DefaultPluginManager;
import org.pf4j.Extension;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code mix bench SECTION}: micro-benchmarks measured by a command rather than by timed tests.
 * Sections are {@link BenchSection} extensions found on the classpath, added as subcommands.
 */
@Extension
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Run a benchmark section; each prints median/min/max and writes a JSON report.")
public final class BenchCommand implements Runnable, CliCommand {

    private final List<BenchSection> sections =
            new DefaultPluginManager(List.of()).getExtensions(BenchSection.class);

    private CliContext context;

    @Override
    public void init(CliContext context) {
        this.context = context;
        sections.forEach(s -> s.init(context));
    }

    @Override
    public void run() {
        context.out().println("Usage: mix bench SECTION [OPTIONS]; sections:");
        for (BenchSection s : sections) {
            CommandSpec spec = new CommandLine(s).getCommandSpec();
            String[] description = spec.usageMessage().description();
            context.out().printf("  %-12s %s%n", spec.name(), description.length == 0 ? "" : description[0]);
        }
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
