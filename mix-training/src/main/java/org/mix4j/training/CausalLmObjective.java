package org.mix4j.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.config.ConfigException;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.pipelines.task.Tasks;
import org.mix4j.pipelines.task.UnderstandingSettings;
import org.mix4j.pipelines.text.TextPipeline;
import org.mix4j.pipelines.understanding.UnderstandingPipeline;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.training.CausalLmEncoder.Encoded;
import org.mix4j.training.ConversationData.Sample;

/**
 * {@code objective: causal_lm} on {@code task: understanding} pipelines: LLaVA stage 1 (only the
 * connector trains) or stage 2 (the connector and LoRA on the language model), on the pipeline's
 * own parts, image processor and tiler included; and on {@code task: text} pipelines (full or LoRA
 * tuning of the language model on text-only conversations). The loss is the cross-entropy of the
 * assistant's tokens; its units are target tokens.
 */
final class CausalLmObjective implements Objective<Encoded> {

    private static final List<String> SLOTS = List.of("encoder", "encoder_hires", "connector", "llm");

    private final PipelineConfig config;
    private final AutoCloseable pipeline;
    private final CausalLmModel model;
    private final TrainedSlots slots;
    private final List<Sample> data;
    private final List<Sample> evalData;
    private final CausalLmEncoder encoder;
    private final CausalLmBatches batches;
    private final int evalBatch;

    CausalLmObjective(PipelineConfig config, TrainingSettings settings, Path base, ComponentLoader loader,
            NDManager manager) {
        boolean text = config.task().equals(Tasks.TEXT.task());
        if (!text && !config.task().equals(Tasks.UNDERSTANDING.task())) {
            throw new ConfigException(config.root().keyOrigin("task"), "task", "objective causal_lm trains "
                    + "task: understanding and task: text pipelines, not '" + config.task() + "'",
                    List.of("understanding", "text"));
        }
        this.config = config;
        this.data = ConversationData.read(base.resolve(settings.data()));
        this.evalData = settings.evalData() == null ? List.of() : ConversationData.read(base.resolve(settings.evalData()));
        this.evalBatch = settings.microBatchSize();
        ComponentLoader serial = loader.withParallel(TensorParallel.SERIAL);
        AutoCloseable loaded = null;
        try {
            String placeholder = null;
            if (text) {
                TextPipeline p = TextPipeline.load(config, serial, manager);
                loaded = p;
                this.model = CausalLmModel.of(p);
                this.slots = TrainedSlots.of(config, List.of("llm"), slot -> p.llm(), settings, manager);
            } else {
                UnderstandingPipeline p = UnderstandingPipeline.load(config, serial, manager);
                loaded = p;
                this.model = CausalLmModel.of(p);
                this.slots = TrainedSlots.of(config, SLOTS, p::component, settings, manager);
                placeholder = config.settings(UnderstandingSettings.class).imageToken();
            }
            this.pipeline = loaded;
            this.encoder = new CausalLmEncoder(model, placeholder, settings.maxLength());
            this.batches = new CausalLmBatches(model, settings.packing());
        } catch (RuntimeException | Error e) {
            close(loaded);
            throw e;
        }
    }

    @Override
    public Parameters parameters() {
        return slots.parameters();
    }

    @Override
    public int size() {
        return data.size();
    }

    @Override
    public Encoded prepare(int index) {
        return encoder.encode(data.get(index));
    }

    @Override
    public long units(Encoded sample) {
        return sample.targets();
    }

    @Override
    public long work(Encoded sample) {
        return sample.ids().length;
    }

    @Override
    public String workUnit() {
        return "tokens";
    }

    @Override
    public NDArray lossSum(List<Encoded> micro, long seed, NDManager scope) {
        return batches.lossSum(micro, scope);
    }

    @Override
    public boolean hasEval() {
        return !evalData.isEmpty();
    }

    @Override
    public Map<String, Double> evaluate() {
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("loss", batches.meanLoss(evalData, encoder, evalBatch, slots.manager()).loss());
        return metrics;
    }

    @Override
    public void write(Path output, NDManager manager) {
        ModelWriter.write(output, config, slots.specs(), slots.components(), slots.parameters(), manager);
    }

    @Override
    public void close() {
        slots.close();
        close(pipeline);
    }

    private static void close(AutoCloseable pipeline) {
        if (pipeline == null) {
            return;
        }
        try {
            pipeline.close();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("closing the pipeline: " + e.getMessage(), e);
        }
    }
}
