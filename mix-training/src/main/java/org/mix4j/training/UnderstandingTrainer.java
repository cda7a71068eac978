package org.mix4j.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.compose.ComponentSpec;
import org.mix4j.config.ConfigBinder;
import org.mix4j.config.ConfigException;
import org.mix4j.config.ConfigNode.MapNode;
import org.mix4j.nn.Autograd;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.pipelines.task.Tasks;
import org.mix4j.pipelines.task.UnderstandingSettings;
import org.mix4j.pipelines.understanding.UnderstandingPipeline;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.training.CausalLmEncoder.Encoded;
import org.mix4j.training.ConversationData.Sample;

/**
 * {@code mix train} for {@code task: understanding} pipelines with the {@code causal_lm} objective:
 * LLaVA stage 1 (only the connector trains) or stage 2 (the connector and LoRA on the language
 * model), on the pipeline's own parts, image processor and tiler included. Each optimizer step
 * takes {@code micro_batch_size x gradient_accumulation} samples; the loss of the step is the mean
 * over all their target tokens, so accumulation equals one big batch. Samples are shuffled per
 * epoch from the seed, so a resumed run reads them in the same order.
 */
public final class UnderstandingTrainer implements AutoCloseable {

    /** What a step did. */
    public record StepReport(int step, int totalSteps, double epoch, double loss, double lr, double gradNorm,
            int tokens, double seconds) {}

    /** Progress for a console or a log. */
    public interface Listener {
        void step(StepReport report);

        void eval(int step, double loss);

        void saved(Path dir);
    }

    /** How the run ended. */
    public record Result(int steps, double lastLoss, Double evalLoss, boolean stopped, Path output) {}

    private final PipelineConfig config;
    private final TrainingSettings settings;
    private final NDManager manager;
    private final UnderstandingPipeline pipeline;
    private final Parameters params;
    private final AdamW optimizer;
    private final List<Sample> data;
    private final List<Sample> evalData;
    private final CausalLmEncoder encoder;
    private final CausalLmBatches batches;
    private final Path output;
    private final Map<String, ComponentSpec> slots = new LinkedHashMap<>();
    private final Map<String, Object> components = new LinkedHashMap<>();
    private int[] order;
    private long orderEpoch = -1;

    /** Binds {@code training:} of {@code config} (errors name the file, line and key). */
    public static TrainingSettings settings(PipelineConfig config) {
        MapNode section = config.section("training");
        if (section == null) {
            throw new ConfigException(config.root().origin(), "training", "mix train needs a 'training:' section "
                    + "(data, trainable or lora, lr, ...): see docs/training.md", null);
        }
        return ConfigBinder.bind(TrainingSettings.class, section, null, "training", Set.of());
    }

    /**
     * @param base folder that relative {@code data}, {@code eval_data} and {@code output} resolve against
     * @param output where the model and state go ({@code null}: the settings' {@code output})
     */
    public UnderstandingTrainer(PipelineConfig config, TrainingSettings settings, Path base, Path output,
            ComponentLoader loader, NDManager parent) {
        if (!config.task().equals(Tasks.UNDERSTANDING.task())) {
            throw new ConfigException(config.root().keyOrigin("task"), "task", "mix train runs task: understanding "
                    + "pipelines for now, not '" + config.task() + "'", List.of("understanding"));
        }
        this.config = config;
        this.settings = settings;
        this.manager = parent.newSubManager();
        this.output = output != null ? output : base.resolve(settings.output()).normalize();
        this.data = ConversationData.read(base.resolve(settings.data()));
        this.evalData = settings.evalData() == null ? List.of() : ConversationData.read(base.resolve(settings.evalData()));
        UnderstandingPipeline loaded = null;
        try {
            loaded = UnderstandingPipeline.load(config, loader.withParallel(TensorParallel.SERIAL), manager);
            this.pipeline = loaded;
            this.params = new Parameters(manager);
            for (String slot : List.of("encoder", "encoder_hires", "connector", "llm")) {
                Object component = pipeline.component(slot);
                if (component != null) {
                    params.add(slot + ".", component);
                    slots.put(slot, config.component(slot) != null ? config.component(slot)
                            : ComponentLoader.spec(null, config.checkpoint(), Map.of()));
                    components.put(slot, component);
                }
            }
            List<String> globs = settings.trainable().stream()
                    .map(t -> slots.containsKey(t) ? t + ".*" : t).toList();
            params.train(globs);
            if (settings.lora() != null) {
                String slot = settings.lora().slot();
                if (!slots.containsKey(slot)) {
                    throw new IllegalArgumentException("lora slot '" + slot + "' is not one of " + slots.keySet());
                }
                params.lora(slot + ".", settings.lora().lora(), null, settings.seed());
            }
            this.optimizer = new AdamW(settings.optimizer(), manager);
            UnderstandingSettings us = config.settings(UnderstandingSettings.class);
            this.encoder = new CausalLmEncoder(pipeline, us.imageToken(), settings.maxLength());
            this.batches = new CausalLmBatches(pipeline, settings.packing());
        } catch (RuntimeException | Error e) {
            if (loaded != null) {
                loaded.close();
            }
            manager.close();
            throw e;
        }
    }

    public Parameters parameters() {
        return params;
    }

    public UnderstandingPipeline pipeline() {
        return pipeline;
    }

    public Path output() {
        return output;
    }

    /** Optimizer steps the run takes. */
    public int totalSteps() {
        int effective = settings.microBatchSize() * settings.gradientAccumulation();
        int perEpoch = (data.size() + effective - 1) / effective;
        return settings.maxSteps() != null ? settings.maxSteps() : settings.epochs() * perEpoch;
    }

    /**
     * Trains until the last step or until {@code stop} answers true (checked after each step; the
     * state is then saved, so {@code --resume} continues).
     *
     * @param resume a state folder a run saved, or {@code null}
     */
    public Result run(Listener listener, BooleanSupplier stop, Path resume) {
        int total = totalSteps();
        LearningRate schedule = new LearningRate(settings.lr(), settings.schedule(), settings.warmupSteps(), total);
        TrainingState.Position position = resume == null ? new TrainingState.Position(0, 0)
                : TrainingState.restore(resume, params, optimizer, manager, settings.seed());
        long cursor = position.cursor();
        Set<String> noDecay = settings.decayNormsAndBiases() ? Set.of() : params.oneDimensional();
        double lastLoss = Double.NaN;
        Double evalLoss = null;
        int step = position.step();
        boolean stopped = false;
        if (step == 0 && !evalData.isEmpty()) {
            listener.eval(0, evaluate()); // the starting point the run's eval losses compare with
        }
        while (step < total) {
            long start = System.nanoTime();
            List<Encoded> batch = new ArrayList<>();
            for (int i = 0; i < settings.microBatchSize() * settings.gradientAccumulation(); i++) {
                batch.add(encoder.encode(sampleAt(cursor++)));
            }
            long targets = batch.stream().mapToLong(Encoded::targets).sum();
            if (targets == 0) {
                throw new IllegalArgumentException("step " + step + ": no sample of the batch has an assistant token "
                        + "inside max_length (" + batch.get(0).where() + " ...)");
            }
            double lossSum = 0;
            int tokens = 0;
            for (int from = 0; from < batch.size(); from += settings.microBatchSize()) {
                List<Encoded> micro = batch.subList(from, Math.min(batch.size(), from + settings.microBatchSize()));
                try (NDManager scope = manager.newSubManager()) {
                    try (Autograd.Recording recording = Autograd.record()) {
                        NDArray sum = batches.lossSum(micro, scope);
                        lossSum += sum.getFloat();
                        recording.backward(Autograd.div(sum, targets));
                    }
                }
                tokens += micro.stream().mapToInt(e -> e.ids().length).sum();
            }
            double norm = GradientClipping.clip(params.trainable().values(), settings.maxGradNorm());
            double lr = schedule.at(step);
            optimizer.step(params.trainable(), lr, noDecay);
            step++;
            lastLoss = lossSum / targets;
            listener.step(new StepReport(step, total, (double) cursor / data.size(), lastLoss, lr, norm, tokens,
                    (System.nanoTime() - start) / 1e9));
            if (settings.evalEvery() > 0 && step % settings.evalEvery() == 0 && !evalData.isEmpty()) {
                evalLoss = evaluate();
                listener.eval(step, evalLoss);
            }
            boolean last = step == total;
            if (stop.getAsBoolean() && !last) {
                stopped = true;
            }
            if (stopped || last || settings.saveEvery() > 0 && step % settings.saveEvery() == 0) {
                TrainingState.save(output.resolve("state"), params, optimizer, new TrainingState.Position(step, cursor),
                        settings.seed());
                listener.saved(output.resolve("state"));
            }
            if (stopped) {
                break;
            }
        }
        if (!stopped) {
            if (!evalData.isEmpty() && (settings.evalEvery() == 0 || step % settings.evalEvery() != 0)) {
                evalLoss = evaluate();
                listener.eval(step, evalLoss);
            }
            ModelWriter.write(output, config, slots, components, params, manager);
            listener.saved(output);
        }
        return new Result(step, lastLoss, evalLoss, stopped, output);
    }

    /** The mean loss over every target token of the eval data (no gradients). */
    public double evaluate() {
        return batches.meanLoss(evalData, encoder, settings.microBatchSize(), manager).loss();
    }

    /** The data in the order the run reads it: a fresh shuffle of all samples each epoch. */
    private Sample sampleAt(long cursor) {
        int n = data.size();
        long epoch = cursor / n;
        if (epoch != orderEpoch) { // a shuffle per epoch, made when the epoch starts
            order = new int[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            Random random = new Random(settings.seed() * 1_000_003L + epoch);
            for (int i = n - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            orderEpoch = epoch;
        }
        return data.get(order[(int) (cursor % n)]);
    }

    @Override
    public void close() {
        params.close();
        optimizer.close();
        pipeline.close();
        manager.close();
    }

}
