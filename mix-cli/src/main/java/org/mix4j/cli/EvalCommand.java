package org.mix4j.cli;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.IntConsumer;
import org.mix4j.config.ConfigException;
import org.mix4j.config.ConfigNode;
import org.mix4j.config.ConfigNode.Origin;
import org.mix4j.config.ConfigOverrides;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.pipelines.task.Tasks;
import org.mix4j.pipelines.task.UnderstandingSettings;
import org.mix4j.pipelines.text.TextPipeline;
import org.mix4j.pipelines.understanding.UnderstandingPipeline;
import org.mix4j.pipelines.retrieval.RetrievalPipeline;
import org.mix4j.pipelines.task.DecodingSettings;
import org.mix4j.training.AnswerEval;
import org.mix4j.training.CaptionData;
import org.mix4j.training.CausalLmBatches;
import org.mix4j.training.CausalLmEncoder;
import org.mix4j.training.CausalLmModel;
import org.mix4j.training.ConversationData;
import org.mix4j.training.ConversationData.Sample;
import org.mix4j.training.RetrievalEval;
import org.pf4j.Extension;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code mix eval}: the held-out causal-LM loss of any understanding pipeline or checkpoint on
 * LLaVA-format data, or the contrastive loss and recall@1/5 of a retrieval pipeline on
 * image-caption pairs, computed exactly as {@code mix train} computes its eval metrics.
 */
@Extension
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Mean loss over the assistant tokens of LLaVA-format data (--data, else the recipe's "
                + "training.eval_data), for a task: understanding or text YAML or --model DIR: what mix train reports as "
                + "eval loss. For task: retrieval, image-caption pairs: the contrastive loss and image/text recall@1 and @5.")
public final class EvalCommand implements Callable<Integer>, CliCommand {

    @Parameters(arity = "0..1", paramLabel = "PIPELINE.yaml", description = "A pipeline YAML (a training recipe or not).")
    Path pipeline;

    @Option(names = "--model", paramLabel = "DIR", description = "A checkpoint directory instead of a YAML.")
    Path model;

    @Option(names = "--data", paramLabel = "FILE", description = "LLaVA-format JSON or JSONL, or image-caption pairs for retrieval (default: training.eval_data).")
    Path data;

    @Option(names = "--batch", paramLabel = "N", description = "Samples per forward pass (default 4).")
    int batch = 4;

    @Option(names = "--answers", description = "Understanding or text pipelines: ask each sample's first question (greedy, the "
            + "pipeline's max_new_tokens) and report exact-match accuracy per \"kind\" of sample (mix data synth writes "
            + "colour, shapes, count, where, yes_no, background) against its reply or any of its \"answers\", with a few "
            + "wrong answers; instead of the loss.")
    boolean answers;

    @Option(names = "--json", description = "Print {\"loss\", \"samples\", \"targets\"} (retrieval: the metrics and "
            + "\"samples\"; --answers: {KIND: {\"right\", \"asked\", \"accuracy\"}}) as one JSON object.")
    boolean json;

    @Option(names = "--quantize", paramLabel = "Q", description = "Overrides quantize: for every component (none, int8, fp16, fp32): "
            + "the figures of the quantized model.")
    String quantize;

    private CliContext context;

    @Override
    public void init(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() throws Exception {
        if ((pipeline == null) == (model == null)) {
            throw new ConfigException(Origin.of("command line"), "PIPELINE.yaml", "give either a pipeline YAML or --model DIR",
                    null);
        }
        if (batch < 1) {
            throw new ConfigException(Origin.of("command line"), "--batch", "must be at least 1, got " + batch, null);
        }
        PipelineConfig config = SettingFlags.config(context.runtime().registry(), pipeline, model, task -> new ConfigOverrides()
                .set("quantize", quantize, "--quantize"));
        if (config.task().equals(Tasks.RETRIEVAL.task())) {
            return retrieval(config, data != null ? data : recipeEvalData(config));
        }
        boolean text = config.task().equals(Tasks.TEXT.task());
        if (!text && !config.task().equals(Tasks.UNDERSTANDING.task())) {
            throw new ConfigException(config.root().keyOrigin("task"), "task", "mix eval runs task: understanding, "
                    + "text or retrieval pipelines, not '" + config.task() + "'", List.of("understanding", "text", "retrieval"));
        }
        Path file = data != null ? data : recipeEvalData(config);
        if (answers) {
            return answers(config, file, text);
        }
        List<Sample> samples = ConversationData.read(file);
        try (NDManager manager = NDManager.newBaseManager(config.device());
                AutoCloseable p = text ? TextPipeline.load(config, context.runtime().loader(), manager)
                        : UnderstandingPipeline.load(config, context.runtime().loader(), manager)) {
            CausalLmModel model = p instanceof TextPipeline t ? CausalLmModel.of(t)
                    : CausalLmModel.of((UnderstandingPipeline) p);
            CausalLmEncoder encoder = new CausalLmEncoder(model,
                    text ? null : config.settings(UnderstandingSettings.class).imageToken(), 0);
            CausalLmBatches.Mean mean = new CausalLmBatches(model, false).meanLoss(samples, encoder, batch, manager);
            double loss = mean.loss();
            long targets = mean.targets();
            if (json) {
                JsonObject o = new JsonObject();
                o.addProperty("loss", loss);
                o.addProperty("samples", samples.size());
                o.addProperty("targets", targets);
                context.out().println(o);
            } else {
                context.out().printf(Locale.ROOT, "loss %.4f over %d target tokens of %d samples (%s)%n", loss, targets,
                        samples.size(), file);
            }
            context.out().flush();
        }
        return 0;
    }

    /** Exact-match accuracy of greedy answers per kind ({@link AnswerEval}). */
    private int answers(PipelineConfig config, Path file, boolean text) {
        IntConsumer progress = done -> context.err().printf(Locale.ROOT, "\ranswered %d", done);
        try (NDManager manager = NDManager.newBaseManager(config.device())) {
            Map<String, AnswerEval.Score> scores;
            if (text) {
                try (TextPipeline p = TextPipeline.load(config, context.runtime().loader(), manager)) {
                    scores = AnswerEval.evaluate(p, file, p.settings().greedy(), batch, progress);
                }
            } else {
                try (UnderstandingPipeline p = UnderstandingPipeline.load(config, context.runtime().loader(), manager)) {
                    scores = AnswerEval.evaluate(p, file, p.generation().greedy(), batch, progress);
                }
            }
            context.err().println();
            if (json) {
                JsonObject o = new JsonObject();
                scores.forEach((kind, s) -> {
                    JsonObject k = new JsonObject();
                    k.addProperty("right", s.right());
                    k.addProperty("asked", s.asked());
                    k.addProperty("accuracy", s.accuracy());
                    o.add(kind, k);
                });
                context.out().println(o);
            } else {
                scores.forEach((kind, s) -> {
                    context.out().printf(Locale.ROOT, "%-12s %5d/%-5d %.3f%n", kind, s.right(), s.asked(), s.accuracy());
                    s.wrong().forEach(w -> context.out().println("    " + w));
                });
            }
            context.out().flush();
        }
        return 0;
    }

    /** The contrastive objective's eval metrics ({@link RetrievalEval}) on image-caption pairs. */
    private int retrieval(PipelineConfig config, Path file) {
        List<CaptionData.Pair> pairs = CaptionData.read(file);
        try (NDManager manager = NDManager.newBaseManager(config.device());
                RetrievalPipeline p = RetrievalPipeline.load(config, context.runtime().loader(), manager)) {
            Map<String, Double> metrics = RetrievalEval.evaluate(p, pairs, RetrievalEval.logitScale(config), batch);
            if (json) {
                JsonObject o = new JsonObject();
                metrics.forEach(o::addProperty);
                o.addProperty("samples", pairs.size());
                context.out().println(o);
            } else {
                StringBuilder line = new StringBuilder();
                metrics.forEach((k, v) -> line.append(String.format(Locale.ROOT, "%s %.4f  ", k, v)));
                context.out().printf(Locale.ROOT, "%sover %d image-caption pairs (%s)%n", line, pairs.size(), file);
            }
            context.out().flush();
        }
        return 0;
    }

    private Path recipeEvalData(PipelineConfig config) {
        ConfigNode.MapNode training = config.section("training");
        if (training != null && training.get("eval_data") instanceof ConfigNode.Scalar s && s.value() instanceof String v) {
            Path p = Path.of(v);
            return p.isAbsolute() ? p : pipeline.toAbsolutePath().getParent().resolve(p).normalize();
        }
        throw new ConfigException(Origin.of("command line"), "--data", "no data to evaluate on: give --data FILE "
                + "(or a recipe with training.eval_data)", null);
    }
}
