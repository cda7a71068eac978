package org.mix4j.cli;

import org.pf4j.ExtensionPoint;

/**
 * One section of {@code mix bench}: a picocli {@code @Command} (implementing
 * {@code Callable<Integer>}) marked {@code @Extension}. Its command name becomes the subcommand
 * ({@code mix bench retrieval}); {@link BenchStats} gives every section the same summary numbers and
 * JSON shape.
 */
public interface BenchSection extends ExtensionPoint {

    /** Called before the section runs, with the shared CLI context. */
    void init(CliContext context);
}
