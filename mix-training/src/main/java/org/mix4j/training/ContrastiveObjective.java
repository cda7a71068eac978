package org.mix4j.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import org.mix4j.api.RgbImage;
import org.mix4j.api.Tokenizer;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.config.ConfigException;
import org.mix4j.pipelines.retrieval.RetrievalPipeline;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.pipelines.task.Tasks;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.training.TrainingSettings.DistillationSettings;
import org.mix4j.training.TrainingSettings.ImageToImageSettings;

/**
 * {@code objective: contrastive} on {@code task: retrieval} pipelines: CLIP-style fine-tuning of the
 * two towers ({@code encoder}, {@code text_encoder}) on image-caption pairs with the symmetric
 * InfoNCE of {@link ContrastiveLoss}. The other candidates of a pair are the rest of its
 * micro-batch, except pairs with the same caption text, which count as its matches too;
 * {@code hard_negatives} adds altered captions, {@code distillation} an EMA teacher,
 * {@code image_to_image} a supervised contrastive term over the pairs' labels.
 * The learnable temperature is {@code logit_scale} (transformers' CLIPModel name), read from the
 * encoder's checkpoint or {@code ln(1/0.07)}; it trains when {@code trainable:} lists it. A sample's
 * unit is its pair, so a step's loss is the mean of its micro-batch means weighted by their sizes.
 */
final class ContrastiveObjective implements Objective<ContrastiveObjective.Sample> {

    /** A pair ready for {@link #lossSum}: its decoded image, caption and label ({@code null}: none). */
    record Sample(String where, RgbImage image, String caption, String label) {}

    private static final List<String> SLOTS = List.of("encoder", "text_encoder");
    private static final String LOGIT_SCALE = "logit_scale";

    private final PipelineConfig config;
    private final RetrievalPipeline pipeline;
    private final NDManager manager;
    private final NDArray logitScale; // 0-d
    private final TrainedSlots slots;
    private final List<CaptionData.Pair> data;
    private final List<CaptionData.Pair> evalData;
    private final HardNegatives negatives; // null: none
    private final DistillationSettings distillation; // null: none
    private final ImageToImageSettings imageToImage; // null: none
    private final WeightAverage teacher; // null without distillation
    private final int evalBatch;

    ContrastiveObjective(PipelineConfig config, TrainingSettings settings, Path base, ComponentLoader loader,
            NDManager parent) {
        if (!config.task().equals(Tasks.RETRIEVAL.task())) {
            throw new ConfigException(config.root().keyOrigin("task"), "task", "objective contrastive trains "
                    + "task: retrieval pipelines, not '" + config.task() + "'", List.of("retrieval"));
        }
        this.config = config;
        this.data = CaptionData.read(base.resolve(settings.data()));
        this.evalData = settings.evalData() == null ? List.of() : CaptionData.read(base.resolve(settings.evalData()));
        this.evalBatch = settings.microBatchSize();
        this.negatives = settings.hardNegatives() == null ? null
                : new HardNegatives(settings.hardNegatives().attributes(), settings.hardNegatives().perSample());
        this.distillation = settings.distillation();
        this.imageToImage = settings.imageToImage();
        if (imageToImage != null && data.stream().noneMatch(p -> p.label() != null)) {
            throw new IllegalArgumentException(settings.data() + ": image_to_image needs pairs with a \"label\" "
                    + "(pictures with the same label are each other's matches); none has one");
        }
        this.manager = parent.newSubManager();
        RetrievalPipeline loaded = null;
        TrainedSlots trained = null;
        try {
            loaded = RetrievalPipeline.load(config, loader.withParallel(TensorParallel.SERIAL), manager);
            RetrievalPipeline p = loaded;
            p.textEncoder();
            p.tokenizer();
            this.logitScale = ContrastiveLoss.scalar(manager, RetrievalEval.logitScale(config));
            trained = TrainedSlots.of(config, SLOTS, slot -> slot.equals("encoder") ? p.encoder() : p.textEncoder(),
                    Map.of(LOGIT_SCALE, logitScale), settings, manager);
            this.teacher = distillation == null ? null : new WeightAverage(trained.parameters().trainable(), manager);
            this.slots = trained;
            this.pipeline = loaded;
        } catch (RuntimeException | Error e) {
            if (trained != null) {
                trained.close();
            }
            if (loaded != null) {
                loaded.close();
            }
            manager.close();
            throw e;
        }
    }

    RetrievalPipeline pipeline() {
        return pipeline;
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
    public Sample prepare(int index) {
        CaptionData.Pair p = data.get(index);
        return new Sample(p.where(), RetrievalEval.image(p), p.caption(), p.label());
    }

    @Override
    public long units(Sample sample) {
        return 1;
    }

    @Override
    public long work(Sample sample) {
        return 1;
    }

    @Override
    public String workUnit() {
        return "images";
    }

    /** The micro-batch's mean loss times its size (the Trainer divides by the step's pairs). */
    @Override
    public NDArray lossSum(List<Sample> micro, long seed, NDManager scope) {
        List<RgbImage> images = micro.stream().map(Sample::image).toList();
        List<String> captions = micro.stream().map(Sample::caption).toList();
        List<String> altered = negatives == null ? List.of() : negatives.of(captions, new Random(seed));
        NDArray pixels = pipeline.imageProcessor().preprocess(images, scope); // [B, 3, H, W]
        Tokenizer.TokenizedBatch tokens = RetrievalEval.tokenize(pipeline.tokenizer(), pipeline.textEncoder(), captions);
        Tokenizer.TokenizedBatch negativeTokens = altered.isEmpty() ? null
                : RetrievalEval.tokenize(pipeline.tokenizer(), pipeline.textEncoder(), altered);
        Supplier<ContrastiveLoss.Logits> forward = () -> ContrastiveLoss.logits(pipeline.encoder().encode(pixels).embeds(),
                text(tokens, scope), negativeTokens == null ? null : text(negativeTokens, scope),
                ContrastiveLoss.scale(logitScale, scope));
        // the teacher: the same forward with the average's values in the trainable tensors, cut from the graph
        ContrastiveLoss.Logits teacherLogits = distillation == null ? null
                : teacher.in(parameters().trainable(), () -> forward.get().detached());
        ContrastiveLoss.Logits student = forward.get();
        double alpha = distillation == null ? 0 : distillation.alpha();
        NDArray mean = ContrastiveLoss.mean(student, teacherLogits, alpha,
                ContrastiveLoss.Targets.of(captions, altered.size(), scope), scope);
        if (imageToImage != null) {
            NDArray same = ContrastiveLoss.sameLabel(student.images(), micro.stream().map(Sample::label).toList(),
                    imageToImage.temperature(), scope);
            if (same != null) {
                mean = mean.add(ContrastiveLoss.times(same, imageToImage.weight(), scope));
            }
        }
        return ContrastiveLoss.times(mean, micro.size(), scope);
    }

    /** Text embeddings {@code [N, P]} of token rows, in {@code scope}. */
    private NDArray text(Tokenizer.TokenizedBatch tokens, NDManager scope) {
        NDArray ids = scope.create(tokens.ids());
        NDArray mask = scope.create(tokens.attentionMask());
        return pipeline.textEncoder().encode(ids, mask).embeds();
    }

    /** The EMA step of ALBEF's momentum model: {@code teacher = m teacher + (1 - m) student}. */
    @Override
    public void afterStep() {
        if (distillation == null) {
            return;
        }
        teacher.moveToward(parameters().trainable(), distillation.momentum());
    }

    @Override
    public Map<String, NDArray> state() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        if (teacher != null) {
            teacher.tensors().forEach((name, t) -> out.put("teacher." + name, t));
        }
        return out;
    }

    @Override
    public boolean hasEval() {
        return !evalData.isEmpty();
    }

    @Override
    public Map<String, Double> evaluate() {
        return RetrievalEval.evaluate(pipeline, evalData, logitScale.getFloat(), evalBatch);
    }

    /** The towers as they were loaded (a checkpoint copy or {@code SLOT.safetensors}), {@code logit_scale} beside the vision tower. */
    @Override
    public void write(Path output, NDManager manager) {
        boolean scaleTrains = parameters().trainable().containsKey(LOGIT_SCALE);
        boolean encoderTrains = parameters().trainable().keySet().stream().anyMatch(n -> n.startsWith("encoder."));
        Map<String, Map<String, NDArray>> extras = scaleTrains || encoderTrains
                ? Map.of("encoder", Map.of(LOGIT_SCALE, logitScale)) : Map.of();
        ModelWriter.write(output, config, slots.specs(), slots.components(), parameters(), extras, manager);
    }

    @Override
    public void close() {
        slots.close();
        pipeline.close();
        manager.close();
    }
}
