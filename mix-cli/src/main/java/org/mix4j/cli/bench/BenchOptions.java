package org.mix4j.cli.bench;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options every {@code mix bench} section and {@code mix bench} itself take (a picocli mixin). */
public final class BenchOptions {

    @Option(names = "--quick", description = "Fewer repetitions: a rough figure in a fraction of the time.")
    boolean quick;

    @Option(names = "--json", paramLabel = "FILE",
            description = "Where the JSON report goes (default bench-SECTION.json; bench.json for all sections).")
    Path json;

    public BenchOptions() {}

    public BenchOptions(boolean quick, Path json) {
        this.quick = quick;
        this.json = json;
    }

    public boolean quick() {
        return quick;
    }

    /** The report file, or {@code null} for the default. */
    public Path json() {
        return json;
    }
}
