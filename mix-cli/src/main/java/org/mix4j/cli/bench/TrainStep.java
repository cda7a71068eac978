package org.mix4j.cli.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.mix4j.api.Component;
import org.mix4j.api.Connector;
import org.mix4j.api.ImageProcessor;
import org.mix4j.api.LanguageModel;
import org.mix4j.api.RgbImage;
import org.mix4j.api.Role;
import org.mix4j.api.VisionEncoder;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.nn.Autograd;
import org.mix4j.pipelines.understanding.UnderstandingPipeline;
import org.mix4j.pipelines.understanding.VisionStack;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.tiling.NoTiler;
import org.mix4j.training.AdamW;
import org.mix4j.training.CausalLmBatches;
import org.mix4j.training.CausalLmModel;
import org.mix4j.training.CausalLmEncoder.Encoded;
import org.mix4j.training.CausalLmLoss;
import org.mix4j.training.GradientClipping;
import org.mix4j.training.Lora;
import org.mix4j.training.Parameters;

/**
 * One {@code mix bench train} model and batch: a LLaVA pipeline of random components
 * ({@link TrainShape}) loaded as {@code mix train} loads it, {@code batch} rows of one image and
 * {@code tokens} tokens each, and the trainer's step on them (one micro-batch, no accumulation).
 */
final class TrainStep implements AutoCloseable {

    /** LoRA of stage 2: r 16, alpha 32 on the attention projections. */
    static final Lora STAGE2_LORA = new Lora(16, 32, 0, List.of("q_proj", "k_proj", "v_proj", "o_proj"));

    /** Seconds each part of a step took. */
    record Times(double forward, double backward, double clip, double optimizer, double loss) {
        double total() {
            return forward + backward + clip + optimizer;
        }
    }

    private final UnderstandingPipeline pipeline;
    private final CausalLmBatches batches;
    private final List<Encoded> rows;
    private final NDManager manager;
    private Parameters params;
    private AdamW adamw;

    TrainStep(ComponentLoader loader, TrainShape shape, int layers, int batch, int tokens, NDManager parent) {
        this.manager = parent.newSubManager();
        try {
            this.pipeline = load(loader.withParallel(TensorParallel.SERIAL), shape, layers, manager);
        } catch (RuntimeException | Error e) {
            manager.close();
            throw e;
        }
        this.batches = new CausalLmBatches(CausalLmModel.of(pipeline), false);
        this.rows = rows(shape, batch, tokens, pipeline.llm().vocabSize(), pipeline.imageTokenId());
    }

    /**
     * The pipeline {@code mix train} would load from a recipe with these components; the trainer loads
     * them single-threaded, since grad mode is per thread (docs/training.md).
     */
    private static UnderstandingPipeline load(ComponentLoader l, TrainShape s, int layers, NDManager manager) {
        List<Object> owned = new ArrayList<>();
        try {
            Object size = s.vision().get("image_size");
            ImageProcessor processor = l.load("hf_image_processor", Role.IMAGE_PROCESSOR, null,
                    Map.of("size", size, "crop_size", size), manager, DataType.FLOAT32);
            owned.add(processor);
            VisionEncoder encoder = l.load("clip_vision", Role.VISION_ENCODER, null, s.visionOverrides(1), manager,
                    DataType.FLOAT32);
            owned.add(encoder);
            LanguageModel llm = l.load("qwen2", Role.LANGUAGE_MODEL, null, s.llmOverrides(layers, 3), manager,
                    DataType.FLOAT32);
            owned.add(llm);
            Connector connector = l.load("mlp", Role.CONNECTOR, null, Map.of("init", "random", "seed", 2,
                    "in_features", s.vision().get("hidden_size"), "out_features", llm.hiddenSize()), manager,
                    DataType.FLOAT32);
            owned.add(connector);
            VisionStack stack = new VisionStack(processor, new NoTiler(), encoder, null, null, connector, 8);
            // the last id stands for the image: a placeholder id need not be a row of the embedding
            return new UnderstandingPipeline(stack, llm, null, llm.vocabSize() - 1, null, null, manager, owned, 0);
        } catch (RuntimeException | Error e) {
            owned.forEach(o -> { if (o instanceof Component c) { c.close(); } });
            throw e;
        }
    }

    /**
     * LLaVA rows: one prompt token, the image's tokens, then text; the labels are the text tokens
     * (the prompt and the image are -100). Ids and pixels are seeded random values.
     */
    static List<Encoded> rows(TrainShape s, int batch, int tokens, int vocab, long imageToken) {
        Random random = new Random(5);
        int side = (int) s.vision().get("image_size");
        int image = s.imageTokens();
        List<Encoded> out = new ArrayList<>();
        for (int r = 0; r < batch; r++) {
            long[] ids = new long[tokens];
            long[] labels = new long[tokens];
            Arrays.fill(labels, CausalLmLoss.IGNORE);
            ids[0] = random.nextInt(vocab - 1);
            for (int i = 1; i <= image; i++) {
                ids[i] = imageToken;
            }
            for (int i = image + 1; i < tokens; i++) {
                ids[i] = random.nextInt(vocab - 1);
                labels[i] = ids[i];
            }
            byte[] pixels = new byte[side * side * 3];
            random.nextBytes(pixels);
            out.add(new Encoded("row " + r, ids, labels, List.of(new RgbImage(side, side, pixels))));
        }
        return out;
    }

    /** Starts a mode: stage 1 trains the connector, stage 2 also LoRA on the decoder; a fresh AdamW. */
    TrainStep mode(String mode) {
        closeMode();
        params = new Parameters(manager).add("encoder.", pipeline.vision().encoder())
                .add("connector.", pipeline.vision().connector()).add("llm.", pipeline.llm());
        params.train(List.of("connector.*"));
        switch (mode) {
            case "stage1" -> { }
            case "stage2" -> params.lora("llm.", STAGE2_LORA, null, 0);
            default -> throw new IllegalArgumentException("unknown --mode '" + mode + "'; known: stage1, stage2");
        }
        adamw = new AdamW(new AdamW.Settings(0.9, 0.999, 1e-8, 0.0), manager);
        return this;
    }

    /** Values that train in the current mode. */
    long trainableValues() {
        return params.trainable().values().stream().mapToLong(a -> a.getShape().size()).sum();
    }

    /** Tokens of one step (every position, as {@code mix train}'s tokens/s counts them). */
    long tokens() {
        return rows.stream().mapToLong(r -> r.ids().length).sum();
    }

    /** One step as {@code Trainer} takes it: loss, backward of the mean over targets, clipping to 1, AdamW. */
    Times step() {
        long units = rows.stream().mapToLong(Encoded::targets).sum();
        long t0 = System.nanoTime();
        long t1;
        long t2;
        double loss;
        try (NDManager scope = manager.newSubManager()) {
            try (Autograd.Recording recording = Autograd.record()) {
                NDArray sum = batches.lossSum(rows, scope);
                loss = sum.getFloat() / units;
                t1 = System.nanoTime();
                recording.backward(Autograd.div(sum, units));
                t2 = System.nanoTime();
            }
        }
        GradientClipping.clip(params.trainable().values(), 1.0);
        long t3 = System.nanoTime();
        adamw.step(params.trainable(), 1e-4, Set.of());
        long t4 = System.nanoTime();
        return new Times((t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9, (t4 - t3) / 1e9, loss);
    }

    private void closeMode() {
        if (adamw != null) {
            adamw.close();
            adamw = null;
        }
        if (params != null) {
            params.close();
            params = null;
        }
    }

    @Override
    public void close() {
        closeMode();
        pipeline.close();
        manager.close();
    }
}
