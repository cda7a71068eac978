package org.mix4j.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.mix4j.config.ConfigException;
import org.mix4j.config.ConfigNode.Origin;
import org.mix4j.data.synth.SynthOptions;
import org.mix4j.data.synth.SynthWriter;
import org.pf4j.Extension;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code mix data}: tools for training sets: the synthetic shapes data and the streaming tools of mix-data. */
@Extension
@Command(name = "data", mixinStandardHelpOptions = true,
        description = "Data tools for multimodal training sets: synth, convert, filter, tag, sample, mix, split, stats.",
        subcommands = {DataCommand.Synth.class, DataConvertCommand.class, DataFilterCommand.class,
                DataTagCommand.class, DataSampleCommand.class, DataMixCommand.class, DataSplitCommand.class,
                DataStatsCommand.class})
public final class DataCommand implements Callable<Integer>, CliCommand {

    @Spec
    CommandSpec spec;

    @Override
    public void init(CliContext context) {
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return 2;
    }

    @Command(name = "synth", mixinStandardHelpOptions = true,
            description = "Draw a seeded, deterministic set of flat-shape scenes (circle, square, triangle, star, ring in "
                    + "8 colours, 1-3 a picture, 64-512 px) with captions and question-answer pairs in English and "
                    + "Chinese: OUT/images/, scenes.jsonl (the truth), captions[-zh].jsonl (image-caption pairs), "
                    + "llava-captions[-zh].jsonl and llava-vqa[-zh].jsonl (LLaVA format), synth.json.")
    static final class Synth implements Callable<Integer>, Mix.ContextAware {

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder to write (empty or new).")
        Path out;

        @Option(names = "--count", defaultValue = "1000", paramLabel = "N", description = "Scenes (default: ${DEFAULT-VALUE}).")
        int count;

        @Option(names = "--seed", defaultValue = "0", paramLabel = "S",
                description = "Seed; scene i depends only on (seed, i) (default: ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--min-size", defaultValue = "64", paramLabel = "PX", description = "Shortest side (default: ${DEFAULT-VALUE}).")
        int minSize;

        @Option(names = "--max-size", defaultValue = "512", paramLabel = "PX", description = "Longest side (default: ${DEFAULT-VALUE}).")
        int maxSize;

        @Option(names = "--max-shapes", defaultValue = "3", paramLabel = "N", description = "1 to 3 (default: ${DEFAULT-VALUE}).")
        int maxShapes;

        @Option(names = "--sketch", defaultValue = "0", paramLabel = "F",
                description = "Fraction drawn hand-drawn style (default: ${DEFAULT-VALUE}).")
        double sketch;

        @Option(names = "--jpeg", defaultValue = "0.2", paramLabel = "F", description = "Fraction saved as JPEG (default: ${DEFAULT-VALUE}).")
        double jpeg;

        @Option(names = "--textured", defaultValue = "0.3", paramLabel = "F",
                description = "Fraction of faintly patterned backgrounds (default: ${DEFAULT-VALUE}).")
        double textured;

        @Option(names = "--noise", defaultValue = "3", paramLabel = "SIGMA",
                description = "Pixel noise standard deviation, 0-255 scale (default: ${DEFAULT-VALUE}).")
        double noise;

        @Option(names = "--tilt", defaultValue = "15", paramLabel = "DEG",
                description = "Largest turn of a shape from upright, degrees either way; 0 draws every shape upright "
                        + "(default: ${DEFAULT-VALUE}).")
        double tilt;

        @Option(names = "--languages", defaultValue = "en,zh", split = ",", paramLabel = "LANG",
                description = "en, zh or both (default: ${DEFAULT-VALUE}).")
        List<String> languages;

        @Option(names = "--overwrite", description = "Replace an earlier synth set in OUT.")
        boolean overwrite;

        @Option(names = "--threads", paramLabel = "N",
                description = "Scenes drawn at once (default: one per processor); the files are the same for any number.")
        Integer threads;

        private CliContext context;

        @Override
        public void init(CliContext context) {
            this.context = context;
        }

        @Override
        public Integer call() {
            long start = System.nanoTime();
            int step = Math.max(1, count / 10);
            SynthWriter.Summary s;
            try {
                SynthOptions options = new SynthOptions(minSize, maxSize, maxShapes, sketch, jpeg, textured, noise,
                        languages, tilt);
                int drawing = threads != null ? threads : Runtime.getRuntime().availableProcessors();
                s = SynthWriter.write(out, seed, count, options, overwrite, drawing, done -> {
                    if (done % step == 0 && done < count) {
                        context.err().printf(Locale.ROOT, "%d/%d scenes%n", done, count);
                        context.err().flush();
                    }
                });
            } catch (IllegalArgumentException e) { // a flag's value or the --out folder
                throw new ConfigException(Origin.of("command line"), "mix data synth", e.getMessage(), null);
            }
            context.out().printf(Locale.ROOT, "wrote %d scenes (%d JPEG), %d questions, into %s in %.1f s%n", s.scenes(),
                    s.jpegs(), s.questions(), out, (System.nanoTime() - start) / 1e9);
            context.out().flush();
            return 0;
        }
    }
}
