package org.mix4j.cli;

import org.pf4j.ExtensionPoint;

/**
 * A {@code mix} subcommand contributed by a module. The implementing class is a picocli
 * {@code @Command} (usually {@code Callable<Integer>}); it receives the shared {@link CliContext}
 * before it runs.
 */
public interface CliCommand extends ExtensionPoint {

    void init(CliContext context);
}
