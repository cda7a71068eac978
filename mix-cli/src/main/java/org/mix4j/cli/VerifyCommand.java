package org.mix4j.cli;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.mix4j.golden.CaseResult;
import org.mix4j.golden.GoldenCase;
import org.mix4j.golden.GoldenVerifier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Run golden fixtures (directories with a case.json, searched recursively) against the "
                + "registered runners and compare with their tolerances. Exit code 1 when a case fails or has no runner.")
final class VerifyCommand implements Callable<Integer>, Mix.ContextAware {

    @Parameters(arity = "1..*", paramLabel = "DIR", description = "Fixture directories, or single cases.")
    List<Path> dirs;

    @Option(names = "--kind", description = "Only cases of this kind.")
    List<String> kinds;

    private CliContext context;

    @Override
    public void init(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        var out = context.out();
        GoldenVerifier verifier = GoldenVerifier.fromRegistry(context.runtime().registry());
        List<GoldenCase> cases = GoldenVerifier.discover(dirs);
        if (kinds != null) {
            cases = cases.stream().filter(c -> kinds.contains(c.kind())).toList();
        }
        int passed = 0;
        int failed = 0;
        int noRunner = 0;
        try (NDManager manager = NDManager.newBaseManager()) {
            for (GoldenCase c : cases) {
                CaseResult r = verifier.run(c, manager);
                out.println(r.line());
                if (r.error() != null && context.debug()) {
                    r.error().printStackTrace(out);
                }
                out.flush();
                switch (r.status()) {
                    case PASS -> passed++;
                    case NO_RUNNER -> noRunner++;
                    default -> failed++;
                }
            }
        }
        if (cases.isEmpty()) {
            out.println("no case.json found under " + dirs);
        }
        if (noRunner > 0) {
            out.println(noRunner + " case(s) had no runner and count as failed");
        }
        out.println(passed + " passed, " + (failed + noRunner) + " failed");
        return failed + noRunner == 0 && !cases.isEmpty() ? 0 : 1;
    }
}
