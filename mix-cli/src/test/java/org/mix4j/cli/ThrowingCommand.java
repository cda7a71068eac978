package org.mix4j.cli;

import java.util.concurrent.Callable;
import org.pf4j.Extension;
import picocli.CommandLine.Command;

/** A hidden test command that throws what a test puts in {@link #next}: the handler's view of an Error. */
@Extension
@Command(name = "throw-for-test", hidden = true)
public final class ThrowingCommand implements Callable<Integer>, CliCommand {

    static volatile Throwable next;

    @Override
    public void init(CliContext context) {
        // needs nothing
    }

    @Override
    public Integer call() throws Exception {
        Throwable t = next;
        if (t instanceof Error e) {
            throw e;
        }
        throw (Exception) t;
    }
}
