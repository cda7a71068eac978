package org.mix4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.mix4j.Mix4j;
import org.pf4j.DefaultPluginManager;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** The {@code mix} command line. Module commands are discovered as {@link CliCommand} extensions. */
@Command(name = "mix", mixinStandardHelpOptions = true, version = "mix4j " + Mix4j.VERSION,
        description = "Composable multimodal models: run, inspect and verify pipelines of vision encoders, "
                + "connectors, language models and diffusion components.",
        subcommands = {ComponentsCommand.class, PluginsCommand.class, ValidateCommand.class, InspectCommand.class,
                VerifyCommand.class, RunCommand.class})
public final class Mix implements Callable<Integer> {

    @Option(names = "--plugins-dir", paramLabel = "DIR",
            description = "Plugin jars/zips to load (default: $MIX_PLUGINS, else plugins/ next to the launcher).")
    Path pluginsDir;

    @Option(names = "--no-plugins",
            description = "Load no plugin, built-in components only (also $MIX_NO_PLUGINS=1): to recover when a "
                    + "plugin ends or hangs every command; 'mix plugins remove' still works.")
    boolean noPlugins;

    @Option(names = "--debug", description = "Print stack traces and debug logging.")
    boolean debug;

    private CliContext context;

    @Override
    public Integer call() {
        CommandLine.usage(this, System.out);
        return 0;
    }

    synchronized CliContext context(PrintWriter out, PrintWriter err) {
        if (context == null) {
            context = new CliContext(pluginsDir != null ? pluginsDir : CliContext.defaultPluginsDir(), debug, out, err);
            if (pluginsDir != null) {
                context.pluginsDirGiven();
            }
            if (noPlugins || CliContext.pluginsOffByEnvironment()) {
                context.pluginsOff();
            }
        }
        return context;
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line and returns the exit code (for tests and embedding). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        boolean debug = List.of(args).contains("--debug");
        if (!debug && System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
            // pf4j warns about each plugin it disables; 'mix plugins' and the registry report why, once
            System.setProperty("org.slf4j.simpleLogger.log.org.pf4j", "error");
        }
        System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
        if (!debug) {
            // DJL probes for CUDA on every start; on a CPU machine that is noise, not a warning
            System.setProperty("org.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils", "error");
        }
        Mix mix = new Mix();
        CommandLine cli = new CommandLine(mix);
        cli.setOut(out).setErr(err);
        for (CliCommand command : moduleCommands()) {
            String name = new CommandLine(command).getCommandName();
            if (cli.getSubcommands().containsKey(name)) {
                // two commands of one name would make picocli refuse every command line
                err.println("warning: ignoring module command '" + name + "' (" + command.getClass().getName()
                        + "): the name is taken by " + cli.getSubcommands().get(name).getCommand().getClass().getName());
                continue;
            }
            cli.addSubcommand(command);
        }
        cli.setExecutionStrategy(parse -> {
            CliContext ctx = mix.context(out, err);
            for (CommandLine c : parse.asCommandLineList()) {
                if (c.getCommand() instanceof ContextAware aware) {
                    aware.init(ctx);
                }
                if (c.getCommand() instanceof CliCommand command) {
                    command.init(ctx);
                }
            }
            return new CommandLine.RunLast().execute(parse);
        });
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> report(e, mix.debug, err));
        try {
            return cli.execute(args);
        } catch (Error e) {
            // picocli hands only Exceptions to the handler; an OutOfMemoryError or StackOverflowError
            // would otherwise leave as the JVM's stack trace
            return report(e, mix.debug, err);
        } finally {
            if (mix.context != null) {
                mix.context.close();
            }
            out.flush();
            err.flush();
        }
    }

    /** Prints {@code e} as one line (and its stack trace with {@code --debug}); returns the exit code. */
    static int report(Throwable e, boolean debug, PrintWriter err) {
        err.println("error: " + ErrorMessages.describe(e));
        if (debug) {
            e.printStackTrace(err);
        }
        err.flush();
        return ErrorMessages.exitCode(e);
    }

    /** Built-in module commands found on the classpath. */
    private static List<CliCommand> moduleCommands() {
        return new DefaultPluginManager(List.of()).getExtensions(CliCommand.class);
    }

    /** Built-in commands that need the shared context. */
    interface ContextAware {
        void init(CliContext context);
    }
}
