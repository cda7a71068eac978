package org.mix4j.cli.bench;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.mix4j.cli.ProcessMemory;
import org.mix4j.training.CausalLmBatches;
import org.mix4j.training.TrainingThreads;
import org.pf4j.Extension;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mix bench train}: LLaVA training steps at a real shape with random weights (CLIP
 * ViT-B/16, MLP projector, Qwen2-0.5B-shaped decoder), stage 1 (the projector) and stage 2 (the
 * projector and LoRA on the decoder's attention projections). A step is what {@code mix train}'s
 * loop does for one micro-batch: {@link CausalLmBatches#lossSum} (preprocessing, vision stack,
 * splice, decoder, cross-entropy), backward of the mean over target tokens, global-norm clipping,
 * AdamW. {@code bench/torch_train_step.py} times the same step in PyTorch eager.
 */
@Extension
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "LLaVA stage-1 / LoRA stage-2 training steps (CLIP ViT-B/16 + MLP + Qwen2-0.5B shape): "
                + "step time, tokens/s, peak memory.")
public final class TrainBench extends AbstractBenchSection {

    @Option(names = "--mode", split = ",", defaultValue = "stage1,stage2",
            description = "stage1 (projector only), stage2 (projector + LoRA r 16 on q/k/v/o_proj); default ${DEFAULT-VALUE}.")
    List<String> modes;

    @Option(names = "--shape", defaultValue = "real", description = "real (default) or tiny (a smoke test).")
    String shape;

    @Option(names = "--layers", defaultValue = "0", description = "Decoder layers (default: the shape's, 24).")
    int layers;

    @Option(names = "--batch", defaultValue = "4", description = "Samples per step, one image each (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--tokens", defaultValue = "512",
            description = "Tokens per sample, image tokens included (default ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--steps", defaultValue = "3",
            description = "Timed steps per mode (default ${DEFAULT-VALUE}; --quick: at most 2).")
    int steps;

    @Option(names = "--warmup", defaultValue = "1", description = "Untimed steps first (default ${DEFAULT-VALUE}).")
    int warmup;

    @Override
    public int order() {
        return 70;
    }

    /** Minutes a step at the real shape on two cores: only when named ({@code mix bench train}). */
    @Override
    public boolean inAll() {
        return false;
    }

    @Override
    public void run(BenchRun run) {
        TrainShape s = TrainShape.named(shape);
        int imageTokens = s.imageTokens();
        if (batch < 1 || steps < 1 || warmup < 0 || layers < 0 || tokens < imageTokens + 3) {
            throw new IllegalArgumentException("--batch and --steps must be >= 1, --warmup and --layers >= 0, --tokens >= "
                    + (imageTokens + 3) + " (" + imageTokens + " image tokens and some text)");
        }
        String subject = String.format(Locale.ROOT, "%s L%d %dx%d", s.name(), s.llmLayers(layers), batch, tokens);
        JsonObject p = run.params();
        p.addProperty("shape", s.name());
        p.addProperty("decoder_layers", s.llmLayers(layers));
        p.addProperty("batch", batch);
        p.addProperty("tokens_per_sample", tokens);
        p.addProperty("image_tokens_per_sample", imageTokens);
        p.addProperty("steps", steps);
        p.addProperty("warmup", warmup);
        // as mix train: PyTorch gets the threads of the split, which is off while recording
        try (TrainingThreads threads = TrainingThreads.use(run.parallel().ways());
                NDManager manager = NDManager.newBaseManager()) {
            p.addProperty("torch_threads", TrainingThreads.engineThreads());
            long t0 = System.nanoTime();
            run.progress("loading " + subject + " (random init)");
            try (TrainStep step = new TrainStep(run.loader(), s, layers, batch, tokens, manager)) {
                run.note(String.format(Locale.ROOT, "%s: random init in %.1f s", subject, (System.nanoTime() - t0) / 1e9));
                for (String mode : modes) {
                    measure(run, step.mode(mode), mode, subject);
                }
            }
        }
    }

    private void measure(BenchRun run, TrainStep step, String mode, String subject) {
        String who = mode + " " + subject;
        long trainable = step.trainableValues();
        run.params().addProperty(mode + "_trainable_values", trainable);
        boolean resets = ProcessMemory.resetPeak();
        for (int i = 0; i < warmup; i++) {
            run.progress(who + ": warm-up step " + (i + 1));
            step.step();
        }
        List<TrainStep.Times> timed = new ArrayList<>();
        int n = run.quick() ? Math.min(steps, 2) : steps;
        for (int i = 0; i < n; i++) {
            run.progress(who + ": step " + (i + 1) + " of " + n);
            timed.add(step.step());
        }
        double peakMib = ProcessMemory.read().peakBytes() / 1048576.0;
        double[] ms = timed.stream().mapToDouble(t -> t.total() * 1000).toArray();
        run.add(BenchResult.seconds("train", who, "step (fwd+bwd+clip+AdamW)", ms)
                .detail("trainable_values", trainable).detail("tokens_per_step", step.tokens())
                .detail("loss_last", timed.get(timed.size() - 1).loss()));
        run.add(BenchResult.rate("train", who, "throughput", "tok/s", ms, step.tokens()));
        part(run, who, "forward (loss)", timed, TrainStep.Times::forward);
        part(run, who, "backward", timed, TrainStep.Times::backward);
        part(run, who, "clip + AdamW", timed, t -> t.clip() + t.optimizer());
        if (peakMib > 0) {
            run.add(BenchResult.of("train", who, "peak resident" + (resets ? "" : " (since start)"), "MiB",
                    new double[] {peakMib}));
        }
    }

    private static void part(BenchRun run, String who, String metric, List<TrainStep.Times> timed,
            java.util.function.ToDoubleFunction<TrainStep.Times> seconds) {
        run.add(BenchResult.of("train", who, metric, "s", timed.stream().mapToDouble(seconds).toArray()));
    }
}
