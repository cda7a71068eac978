package org.mix4j.cli;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.mix4j.config.ConfigException;
import org.mix4j.config.ConfigNode.Origin;
import org.mix4j.config.ConfigOverrides;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.training.TrainingSettings;
import org.mix4j.training.Trainer;
import org.mix4j.training.TrainingThreads;
import org.mix4j.training.Trainer.StepReport;
import org.pf4j.Extension;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code mix train RECIPE.yaml}: trains what the pipeline YAML composes, as its {@code training:}
 * section says; writes the model (loadable by {@code mix run}), a resumable state and a metrics log
 * ({@code metrics.jsonl}). Ctrl-C saves the state and stops; {@code --resume OUTPUT/state} goes on.
 */
@Extension
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a pipeline from its YAML's training: section: objective causal_lm (task: understanding "
                + "or text: connector pre-training, instruction tuning, LoRA), contrastive (task: retrieval: CLIP's "
                + "towers), patch_labels (task: retrieval: a class for each patch of the vision tower), diffusion "
                + "and autoencoder (task: generation: the UNet, the VAE). Writes OUTPUT/pipeline.yaml (mix run loads it), "
                + "OUTPUT/state (for --resume) and OUTPUT/metrics.jsonl. Ctrl-C saves the state and stops.")
public final class TrainCommand implements Callable<Integer>, CliCommand {

    @Parameters(paramLabel = "RECIPE.yaml", description = "A pipeline YAML with a training: section.")
    Path recipe;

    @Option(names = "--output", paramLabel = "DIR", description = "Overrides training.output.")
    Path output;

    @Option(names = "--resume", paramLabel = "DIR", description = "Continue a run from the state it saved (OUTPUT/state).")
    Path resume;

    @Option(names = "--max-steps", paramLabel = "N", description = "Overrides training.max_steps.")
    Integer maxSteps;

    @Option(names = "--lr", paramLabel = "LR", description = "Overrides training.lr.")
    Double lr;

    @Option(names = "--packing", description = "Pack each micro-batch's samples into one row (training.packing: true).")
    boolean packing;

    @Option(names = "--data", paramLabel = "FILE", description = "Overrides training.data.")
    Path data;

    private CliContext context;

    @Override
    public void init(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() throws IOException {
        if (!Files.isRegularFile(recipe)) {
            throw new ConfigException(Origin.of("command line"), "RECIPE.yaml", recipe + ": no such file", null);
        }
        PipelineConfig config = PipelineConfig.load(recipe, new ConfigOverrides()
                .set("training.max_steps", maxSteps, "--max-steps").set("training.lr", lr, "--lr")
                .set("training.packing", packing ? Boolean.TRUE : null, "--packing")
                .set("training.data", data == null ? null : data.toAbsolutePath().toString(), "--data"));
        TrainingSettings settings = Trainer.settings(config);
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch finished = new CountDownLatch(1);
        // Ctrl-C or SIGTERM: ask the loop to stop after its step, then hold the JVM's exit until the
        // state is saved and the engine closed. A hook that only set the flag let the JVM exit in the
        // middle of a backward pass: PyTorch's globals were torn down under it (SIGSEGV in
        // at::accelerator::getAccelerator) and the steps since the last save were lost.
        Thread hook = new Thread(() -> {
            stop.set(true);
            try {
                finished.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "mix-train-stop");
        try {
            return train(recipe, config, settings, stop, hook);
        } finally {
            finished.countDown();
        }
    }

    private int train(Path recipe, PipelineConfig config, TrainingSettings settings, AtomicBoolean stop, Thread hook)
            throws IOException {
        Path base = recipe.toAbsolutePath().getParent();
        // the trainer runs its ops on this thread: PyTorch gets the threads the split would use
        try (TrainingThreads threads = TrainingThreads.use(context.runtime().loader().parallel().ways());
                NDManager manager = NDManager.newBaseManager(config.device());
                Trainer trainer = new Trainer(config, settings, base, output,
                        context.runtime().loader(), manager)) {
            Files.createDirectories(trainer.output());
            Path metrics = trainer.output().resolve("metrics.jsonl");
            try (Writer log = Files.newBufferedWriter(metrics, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    resume == null ? StandardOpenOption.TRUNCATE_EXISTING : StandardOpenOption.APPEND,
                    StandardOpenOption.WRITE)) {
                context.err().printf("training %s: %d trainable tensors (%,d values), %d steps; Ctrl-C saves and stops%n",
                        recipe, trainer.parameters().trainable().size(), trainer.parameters().trainable().values().stream()
                                .mapToLong(t -> t.getShape().size()).sum(), trainer.totalSteps());
                context.err().flush();
                Trainer.Result result;
                Runtime.getRuntime().addShutdownHook(hook); // Ctrl-C: finish the step, save, stop
                try {
                    result = trainer.run(new Progress(log), stop::get, resume);
                } finally {
                    try {
                        Runtime.getRuntime().removeShutdownHook(hook);
                    } catch (IllegalStateException shuttingDown) {
                        // the JVM is stopping: the hook waits until call() has closed everything
                    }
                }
                if (result.stopped()) {
                    context.err().println("stopped after step " + result.steps() + "; continue with: mix train " + recipe
                            + " --resume " + trainer.output().resolve("state"));
                } else {
                    StringBuilder eval = new StringBuilder();
                    result.eval().forEach((name, value) -> eval.append(String.format(Locale.ROOT, ", eval %s %.4f",
                            name, value)));
                    // a run resumed from its last step trains none: there is no step loss to show
                    String loss = Double.isNaN(result.lastLoss()) ? "no step left to train"
                            : String.format(Locale.ROOT, "loss %.4f", result.lastLoss());
                    context.err().printf(Locale.ROOT, "done: %d steps, %s%s; model in %s (pipeline %s)%n",
                            result.steps(), loss, eval, result.output(), result.output().resolve("pipeline.yaml"));
                }
                context.err().flush();
            }
        }
        return 0;
    }

    /** Seconds left: the pace of the steps this run has trained (not those a resumed run began with). */
    static double eta(double elapsedSeconds, int stepsThisRun, int stepsLeft) {
        return stepsThisRun <= 0 ? 0 : elapsedSeconds / stepsThisRun * stepsLeft;
    }

    /** One progress line per step on stderr and one JSON line per step in the metrics log. */
    private final class Progress implements Trainer.Listener {
        private final Writer log;
        private final long start = System.nanoTime();
        private int firstStep = -1; // the step this run began after (a resumed run's saved step)

        Progress(Writer log) {
            this.log = log;
        }

        @Override
        public void step(StepReport r) {
            if (firstStep < 0) {
                firstStep = r.step() - 1;
            }
            double eta = eta((System.nanoTime() - start) / 1e9, r.step() - firstStep, r.totalSteps() - r.step());
            long rss = ProcessMemory.read().rssBytes();
            double rate = r.work() / Math.max(1e-9, r.seconds());
            context.err().printf(Locale.ROOT, "step %d/%d  epoch %.2f  loss %.4f  lr %.2e  grad norm %.3f  %.0f %s/s"
                    + "  ETA %s%n", r.step(), r.totalSteps(), r.epoch(), r.loss(), r.lr(), r.gradNorm(), rate, r.unit(),
                    duration(eta));
            context.err().flush();
            JsonObject o = new JsonObject();
            o.addProperty("step", r.step());
            o.addProperty("epoch", r.epoch());
            o.addProperty("loss", r.loss());
            o.addProperty("lr", r.lr());
            o.addProperty("grad_norm", r.gradNorm());
            o.addProperty(r.unit() + "_per_s", rate);
            o.addProperty("seconds", r.seconds());
            if (rss > 0) {
                o.addProperty("rss_mib", Math.round(rss / 1048576.0));
            }
            write(o);
        }

        @Override
        public void eval(int step, Map<String, Double> metrics) {
            StringBuilder line = new StringBuilder("eval after step " + step + ":");
            JsonObject o = new JsonObject();
            o.addProperty("step", step);
            metrics.forEach((name, value) -> {
                line.append(String.format(Locale.ROOT, " %s %.4f", name, value));
                o.addProperty("eval_" + name, value);
            });
            context.err().println(line);
            context.err().flush();
            write(o);
        }

        @Override
        public void saved(Path dir) {
            context.err().println("saved " + dir);
            context.err().flush();
        }

        private void write(JsonObject o) {
            try {
                log.write(o.toString());
                log.write('\n');
                log.flush();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("cannot write the metrics log: " + e.getMessage(), e);
            }
        }
    }

    private static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%dh%02dm", s / 3600, s % 3600 / 60)
                : s >= 60 ? String.format("%dm%02ds", s / 60, s % 60) : s + "s";
    }
}
