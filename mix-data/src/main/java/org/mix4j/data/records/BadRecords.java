package org.mix4j.data.records;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * What to do with a record that cannot be read or written (not JSON, not the format): stop with
 * its {@code file:line} ({@link #failOnBad}), or report it on the console and in the run's report
 * and go on. Never silent.
 */
public final class BadRecords {

    /** How many bad records the report lists. */
    public static final int LISTED = 20;

    private final boolean failOnBad;
    private final PrintWriter console;
    private final List<String> listed = new ArrayList<>();
    private long count;

    /** @param console where each skipped record is reported (may be {@code null}) */
    public BadRecords(boolean failOnBad, PrintWriter console) {
        this.failOnBad = failOnBad;
        this.console = console;
    }

    /** Records {@code where: why}; throws when bad records stop the run. */
    public void report(String where, String why) {
        String message = where.isEmpty() || why.startsWith(where) ? why : where + ": " + why;
        if (failOnBad) {
            throw new IllegalArgumentException(message + " (--skip-bad reports such records and goes on)");
        }
        count++;
        if (listed.size() < LISTED) {
            listed.add(message);
        }
        if (console != null) {
            console.println("skipped " + message);
            console.flush();
        }
    }

    public long count() {
        return count;
    }

    public List<String> listed() {
        return List.copyOf(listed);
    }
}
