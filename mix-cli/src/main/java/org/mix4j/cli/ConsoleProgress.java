package org.mix4j.cli;

import java.io.PrintStream;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.mix4j.api.ProgressListener;

/**
 * Progress on standard error for CLI commands: a live bar on a terminal; when the output is a
 * file or a pipe, one line when a task starts and one when it ends, so logs stay readable.
 */
public final class ConsoleProgress implements ProgressListener {

    private final boolean terminal;
    private final PrintStream err;
    private ProgressBar bar;
    private String task;
    private long total;
    private long done;
    private long startNanos;

    public ConsoleProgress() {
        this(System.console() != null, System.err);
    }

    ConsoleProgress(boolean terminal, PrintStream err) {
        this.terminal = terminal;
        this.err = err;
    }

    @Override
    public void start(String task, long total) {
        finish();
        this.task = task;
        this.total = total;
        this.done = 0;
        this.startNanos = System.nanoTime();
        if (terminal) {
            bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
                    .setConsumer(new ConsoleProgressBarConsumer(err)).setUpdateIntervalMillis(200)
                    .continuousUpdate().build();
        } else {
            err.println(task + ": " + (total >= 0 ? total + " steps" : "started"));
        }
    }

    @Override
    public void advance(long steps) {
        done += steps;
        if (bar != null) {
            bar.stepBy(steps);
        }
    }

    @Override
    public void finish() {
        if (bar != null) {
            bar.close();
            bar = null;
        } else if (task != null) {
            err.printf("%s: %d%s done in %.1f s%n", task, done, total >= 0 ? "/" + total : "",
                    (System.nanoTime() - startNanos) / 1e9);
        }
        task = null;
    }
}
