package org.mix4j.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.mix4j.api.Connector;
import org.mix4j.api.LanguageModel;
import org.mix4j.api.Role;
import org.mix4j.api.VisionEncoder;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.golden.GoldenCase;
import org.mix4j.nn.Autograd;
import org.mix4j.pipelines.understanding.VisionStack;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.tiling.NoTiler;

/**
 * A small LLaVA (CLIP vision tower, MLP projector, LLaMA) composed for training as
 * {@code LlavaTrainCaseRunner} composes it: the {@code llava_train_projector} fixture with its batch
 * ({@link #fixture}), or a larger random one whose products and attentions are big enough to be
 * split over threads ({@link #splittable}).
 */
final class TinyLlava implements AutoCloseable {

    final VisionEncoder encoder;
    final Connector connector;
    final LanguageModel llm;
    final Parameters params;
    private final LlavaForward forward;
    private final Function<NDManager, NDArray[]> batch; // pixel values, ids, attention mask, labels
    private final NDManager manager;

    private TinyLlava(NDManager manager, VisionEncoder encoder, Connector connector, LanguageModel llm, long imageToken,
            Function<NDManager, NDArray[]> batch) {
        this.manager = manager;
        this.encoder = encoder;
        this.connector = connector;
        this.llm = llm;
        this.batch = batch;
        params = new Parameters(manager).add("vision_tower.", encoder).add("multi_modal_projector.", connector)
                .add("language_model.", llm);
        forward = new LlavaForward(new VisionStack(null, new NoTiler(), encoder, null, null, connector, 8), llm,
                imageToken);
    }

    /** The fixture's components and batch, loaded with {@code parallel} into a child of {@code parent}. */
    static TinyLlava fixture(ComponentLoader loader, TensorParallel parallel, NDManager parent) {
        NDManager manager = parent.newSubManager();
        GoldenCase c = new GoldenCase(Path.of(System.getProperty("mix.golden.dir", "../testdata/golden"))
                .resolve("llava_train_projector"), "llava_train_projector");
        ComponentLoader l = loader.withParallel(parallel);
        return new TinyLlava(manager,
                l.load("clip_vision", Role.VISION_ENCODER, c.dir(), Map.of("weights_prefix", "vision_tower."), manager,
                        DataType.FLOAT32),
                l.load("mlp", Role.CONNECTOR, c.dir(), Map.of("weights_prefix", "multi_modal_projector."), manager,
                        DataType.FLOAT32),
                l.load("llama", Role.LANGUAGE_MODEL, c.dir(), Map.of("weights_prefix", "language_model."), manager,
                        DataType.FLOAT32),
                c.config().get("image_token_index").getAsLong(),
                copies(c, "pixel_values", "input_ids", "attention_mask", "labels"));
    }

    /** The case's tensors read once: each step gets fresh copies in its own manager. */
    private static Function<NDManager, NDArray[]> copies(GoldenCase c, String... names) {
        try (NDManager read = NDManager.newBaseManager()) {
            Object[] data = new Object[names.length];
            Shape[] shapes = new Shape[names.length];
            for (int i = 0; i < names.length; i++) {
                NDArray t = c.tensor(names[i], read);
                shapes[i] = t.getShape();
                data[i] = t.getDataType().isFloating() ? t.toFloatArray() : t.toType(DataType.INT64, false).toLongArray();
            }
            return m -> {
                NDArray[] out = new NDArray[names.length];
                for (int i = 0; i < names.length; i++) {
                    out[i] = owned(data[i] instanceof float[] f ? m.create(f, shapes[i]) : m.create((long[]) data[i],
                            shapes[i]));
                }
                return out;
            };
        }
    }

    /**
     * Random components (seeded) large enough that, with more than one way, the vision tower's
     * linears (145 tokens x 128 -> 256 per image) and attention (2 x 4 heads x 145^2 x 32) and the
     * language model's MLP are split; two rows of one image each.
     */
    static TinyLlava splittable(ComponentLoader loader, TensorParallel parallel, NDManager parent) {
        NDManager manager = parent.newSubManager();
        ComponentLoader l = loader.withParallel(parallel);
        VisionEncoder encoder = l.load("clip_vision", Role.VISION_ENCODER, null, Map.of("init", "random", "seed", 1,
                "hidden_size", 128, "intermediate_size", 256, "num_hidden_layers", 2, "num_attention_heads", 4,
                "image_size", 48, "patch_size", 4, "feature_layer", -1), manager, DataType.FLOAT32);
        Connector connector = l.load("mlp", Role.CONNECTOR, null, Map.of("init", "random", "seed", 2, "in_features", 128,
                "out_features", 96), manager, DataType.FLOAT32);
        LanguageModel llm = l.load("llama", Role.LANGUAGE_MODEL, null, Map.of("init", "random", "seed", 3,
                "vocab_size", 200, "hidden_size", 96, "intermediate_size", 256, "num_hidden_layers", 2,
                "num_attention_heads", 4, "num_key_value_heads", 2, "max_position_embeddings", 256), manager,
                DataType.FLOAT32);
        int imageTokens = 144;
        long imageToken = 199;
        int text = 6;
        long[] ids = new long[2 * (imageTokens + 1 + text)];
        long[] labels = new long[ids.length];
        java.util.Random random = new java.util.Random(4);
        for (int r = 0, i = 0; r < 2; r++) {
            ids[i] = 1;
            labels[i++] = -100;
            for (int k = 0; k < imageTokens; k++) {
                ids[i] = imageToken;
                labels[i++] = -100;
            }
            for (int k = 0; k < text; k++) {
                ids[i] = 2 + random.nextInt(190);
                labels[i] = ids[i];
                i++;
            }
        }
        float[] pixels = new float[2 * 3 * 48 * 48];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (float) random.nextGaussian();
        }
        Shape rows = new Shape(2, ids.length / 2);
        return new TinyLlava(manager, encoder, connector, llm, imageToken, m -> new NDArray[] {
            owned(m.create(pixels, new Shape(2, 3, 48, 48))), owned(m.create(ids, rows)), m.ones(rows, DataType.INT64),
            owned(m.create(labels, rows))});
    }

    /**
     * A copy that owns its memory: an array made from a Java array borrows a direct buffer that the
     * garbage collector may free under it (a {@code System.gc()} between steps gave NaN losses).
     */
    private static NDArray owned(NDArray borrowed) {
        NDArray copy = borrowed.duplicate();
        borrowed.close();
        return copy;
    }

    /** Trains the projector, a vision layer norm on the features' path (layer 0 of 2, feature_layer -2) and LoRA (r 4) on the language model's q_proj and v_proj. */
    TinyLlava trainProjectorNormAndLora() {
        params.train(List.of("multi_modal_projector.*", "vision_tower.vision_model.encoder.layers.0.layer_norm1.*"));
        params.lora("language_model.", new Lora(4, 8, 0, List.of("q_proj", "v_proj")), null, 3);
        return this;
    }

    /** One forward and backward on the batch, in {@code step}; returns the loss. */
    double backward(NDManager step) {
        NDArray[] b = batch.apply(step);
        NDArray pixels = b[0];
        NDArray ids = b[1];
        NDArray mask = b[2];
        NDArray labels = b[3];
        try (Autograd.Recording recording = Autograd.record()) {
            NDArray loss = CausalLmLoss.mean(forward.logits(pixels, ids, mask, LlavaForward.positions(mask), step),
                    labels);
            recording.backward(loss);
            return loss.getFloat();
        }
    }

    /** A training step: backward, clipping to 1, AdamW at {@code lr}; returns the loss. */
    double step(AdamW adamw, double lr) {
        try (NDManager step = manager.newSubManager()) {
            double loss = backward(step);
            GradientClipping.clip(params.trainable().values(), 1.0);
            adamw.step(params.trainable(), lr, Set.of());
            return loss;
        }
    }

    NDManager manager() {
        return manager;
    }

    @Override
    public void close() {
        params.close();
        encoder.close();
        connector.close();
        llm.close();
        manager.close();
    }
}
