package org.mix4j.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.config.ConfigBinder;
import org.mix4j.config.ConfigException;
import org.mix4j.config.ConfigNode.MapNode;
import org.mix4j.nn.Autograd;
import org.mix4j.pipelines.task.PipelineConfig;

/**
 * {@code mix train}: the loop every objective shares. Each optimizer step takes
 * {@code micro_batch_size x gradient_accumulation} samples; the step's loss is the mean over all
 * their {@linkplain Objective#units units} (target tokens, images), so accumulation equals one big
 * batch wherever the objective's loss is a sum over units. Then global-norm clipping, AdamW at the
 * schedule's rate, held-out metrics every {@code eval_every} steps and a resumable state every
 * {@code save_every}; with {@code ema:} an average of the weights follows each step, and the
 * held-out metrics and the written model are the average's. Samples are shuffled per epoch from the
 * seed, and each micro-batch's randomness comes from (seed, step, micro-batch), so a resumed run
 * repeats the uninterrupted one.
 */
public final class Trainer implements AutoCloseable {

    /** What a step did; {@code work} counts {@code unit}s (tokens, images) for the throughput. */
    public record StepReport(int step, int totalSteps, double epoch, double loss, double lr, double gradNorm,
            long work, String unit, double seconds) {}

    /** Progress for a console or a log. */
    public interface Listener {
        void step(StepReport report);

        /** Held-out metrics after {@code step} ({@code loss} first). */
        void eval(int step, Map<String, Double> metrics);

        void saved(Path dir);
    }

    /** How the run ended; {@code eval} is empty without eval data. */
    public record Result(int steps, double lastLoss, Map<String, Double> eval, boolean stopped, Path output) {

        public Double evalLoss() {
            return eval.get("loss");
        }
    }

    private final TrainingSettings settings;
    private final NDManager manager;
    private final Objective<?> objective;
    private final AdamW optimizer;
    private final Path output;
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
     * Loads the pipeline and its objective.
     *
     * @param base folder that relative {@code data}, {@code eval_data} and {@code output} resolve against
     * @param output where the model and state go ({@code null}: the settings' {@code output})
     */
    public Trainer(PipelineConfig config, TrainingSettings settings, Path base, Path output, ComponentLoader loader,
            NDManager parent) {
        this.settings = settings;
        this.output = output != null ? output : base.resolve(settings.output()).normalize();
        this.manager = parent.newSubManager();
        Objective<?> made = null;
        try {
            made = Objectives.open(config, settings, base, loader, manager);
            this.objective = made;
            this.optimizer = new AdamW(settings.optimizer(), manager);
        } catch (RuntimeException | Error e) {
            if (made != null) {
                made.close();
            }
            manager.close();
            throw e;
        }
    }

    public Parameters parameters() {
        return objective.parameters();
    }

    public Objective<?> objective() {
        return objective;
    }

    public Path output() {
        return output;
    }

    /** Optimizer steps the run takes. */
    public int totalSteps() {
        int effective = settings.microBatchSize() * settings.gradientAccumulation();
        int perEpoch = (objective.size() + effective - 1) / effective;
        return settings.maxSteps() != null ? settings.maxSteps() : settings.epochs() * perEpoch;
    }

    /**
     * Trains until the last step or until {@code stop} answers true (checked after each step; the
     * state is then saved, so {@code --resume} continues).
     *
     * @param resume a state folder a run saved, or {@code null}
     */
    public Result run(Listener listener, BooleanSupplier stop, Path resume) {
        return loop(objective, listener, stop, resume);
    }

    private <E> Result loop(Objective<E> objective, Listener listener, BooleanSupplier stop, Path resume) {
        Parameters params = objective.parameters();
        int total = totalSteps();
        LearningRate schedule = new LearningRate(settings.lr(), settings.schedule(), settings.warmupSteps(), total);
        WeightAverage ema = settings.ema() == null ? null : new WeightAverage(params.trainable(), manager);
        Map<String, NDArray> average = ema == null ? Map.of() : ema.tensors();
        TrainingState.Position position = resume == null ? new TrainingState.Position(0, 0)
                : TrainingState.restore(resume, params, objective.state(), average, optimizer, manager, settings.seed());
        long cursor = position.cursor();
        Set<String> noDecay = settings.decayNormsAndBiases() ? Set.of() : params.oneDimensional();
        double lastLoss = Double.NaN;
        Map<String, Double> eval = Map.of();
        int step = position.step();
        boolean stopped = false;
        if (step == 0 && objective.hasEval()) {
            listener.eval(0, evaluate(ema)); // the starting point the run's eval metrics compare with
        }
        while (step < total) {
            long start = System.nanoTime();
            List<E> batch = new ArrayList<>();
            for (int i = 0; i < settings.microBatchSize() * settings.gradientAccumulation(); i++) {
                batch.add(objective.prepare(sampleAt(cursor++)));
            }
            long units = batch.stream().mapToLong(objective::units).sum();
            if (units == 0) {
                throw new IllegalArgumentException("step " + step + ": no sample of the batch has anything to learn "
                        + "(for causal_lm: no assistant token inside max_length)");
            }
            double lossSum = 0;
            long work = 0;
            int micro = 0;
            for (int from = 0; from < batch.size(); from += settings.microBatchSize(), micro++) {
                List<E> part = batch.subList(from, Math.min(batch.size(), from + settings.microBatchSize()));
                long seed = new Random(settings.seed() * 1_000_003L + step * 7_919L + micro).nextLong();
                try (NDManager scope = manager.newSubManager()) {
                    try (Autograd.Recording recording = Autograd.record()) {
                        NDArray sum = objective.lossSum(part, seed, scope);
                        lossSum += sum.getFloat();
                        recording.backward(Autograd.div(sum, units));
                    }
                }
                work += part.stream().mapToLong(objective::work).sum();
            }
            double norm = GradientClipping.clip(params.trainable().values(), settings.maxGradNorm());
            double lr = schedule.at(step);
            optimizer.step(params.trainable(), lr, noDecay);
            objective.afterStep();
            step++;
            if (ema != null) {
                ema.moveToward(params.trainable(), settings.ema().decayAt(step));
            }
            lastLoss = lossSum / units;
            listener.step(new StepReport(step, total, (double) cursor / objective.size(), lastLoss, lr, norm, work,
                    objective.workUnit(), (System.nanoTime() - start) / 1e9));
            if (settings.evalEvery() > 0 && step % settings.evalEvery() == 0 && objective.hasEval()) {
                eval = evaluate(ema);
                listener.eval(step, eval);
            }
            boolean last = step == total;
            if (stop.getAsBoolean() && !last) {
                stopped = true;
            }
            if (stopped || last || settings.saveEvery() > 0 && step % settings.saveEvery() == 0) {
                TrainingState.save(output.resolve("state"), params, objective.state(), average, optimizer,
                        new TrainingState.Position(step, cursor), settings.seed());
                listener.saved(output.resolve("state"));
            }
            if (stopped) {
                break;
            }
        }
        if (!stopped) {
            if (objective.hasEval() && (settings.evalEvery() == 0 || step % settings.evalEvery() != 0)) {
                eval = evaluate(ema);
                listener.eval(step, eval);
            }
            if (ema == null) {
                objective.write(output, manager);
            } else {
                ema.in(params.trainable(), () -> {
                    objective.write(output, manager);
                    return null;
                });
            }
            listener.saved(output);
        }
        return new Result(step, lastLoss, eval, stopped, output);
    }

    /** Held-out metrics, of the {@code ema:} average when there is one. */
    private Map<String, Double> evaluate(WeightAverage ema) {
        return ema == null ? objective.evaluate() : ema.in(objective.parameters().trainable(), objective::evaluate);
    }

    /** Held-out metrics of the model as it is now. */
    public Map<String, Double> evaluate() {
        return objective.evaluate();
    }

    /** The data in the order the run reads it: a fresh shuffle of all samples each epoch. */
    private int sampleAt(long cursor) {
        int n = objective.size();
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
        return order[(int) (cursor % n)];
    }

    @Override
    public void close() {
        optimizer.close();
        objective.close();
        manager.close();
    }
}
