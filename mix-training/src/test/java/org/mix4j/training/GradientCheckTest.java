package org.mix4j.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.api.Connector;
import org.mix4j.api.LanguageModel;
import org.mix4j.api.Role;
import org.mix4j.api.TextEncoder;
import org.mix4j.api.TokenGrid;
import org.mix4j.api.Trainable;
import org.mix4j.api.VisionEncoder;
import org.mix4j.llm.TinyCheckpoint;
import org.mix4j.llm.TinyModels;
import org.mix4j.nn.Autograd;

/**
 * Autograd's gradients of every trainable block type against central finite differences, in
 * float64 on tiny randomly initialised components loaded through the registry: the loss is
 * {@code sum(output * R)} with a fixed random {@code R}, and for up to {@value #SAMPLES} elements of
 * every parameter {@code dL/dp} must match {@code (L(p + h) - L(p - h)) / 2h}.
 */
class GradientCheckTest extends WithRuntime {

    private static final double H = 1e-6;
    private static final double RTOL = 1e-5;
    /** Round-off of the difference quotient: about 1e-16 * |L| / h. */
    private static final double ATOL = 1e-8;
    private static final int SAMPLES = 10;

    @TempDir
    Path dir;

    /** A forward pass whose output lands in the manager it is given. */
    interface Forward {
        NDArray run(NDManager m);
    }

    @Test
    void mlpProjectorGradientsMatchFiniteDifferences() {
        try (Connector c = connector("mlp", Map.of("in_features", 6, "hidden_features", 7, "out_features", 5))) {
            check(all(c), project(c, 6, null));
        }
    }

    @Test
    void linearProjectorGradientsMatchFiniteDifferences() {
        try (Connector c = connector("linear", Map.of("in_features", 6, "out_features", 5))) {
            assertEquals(List.of("bias", "weight"), List.copyOf(new TreeMap<>(((Trainable) c).parameters()).keySet()));
            check(all(c), project(c, 6, null));
        }
    }

    @Test
    void qformerGradientsMatchFiniteDifferences() {
        try (Connector c = connector("qformer", Map.of("hidden_size", 8, "num_hidden_layers", 2, "num_attention_heads",
                2, "intermediate_size", 12, "encoder_hidden_size", 6, "num_query_tokens", 3, "language_projection", true,
                "projection_size", 5, "cross_attention_frequency", 2))) {
            Map<String, NDArray> params = all(c);
            assertTrue(params.containsKey("query_tokens"), params.keySet().toString());
            assertTrue(params.containsKey("qformer.encoder.layer.0.crossattention.attention.key.weight"));
            check(params, project(c, 6, new long[] {1, 1, 1, 0, 1, 1, 1, 1, 1, 1}));
        }
    }

    @Test
    void perceiverResamplerGradientsMatchFiniteDifferences() {
        try (Connector c = connector("perceiver_resampler", Map.of("hidden_size", 8, "resampler_n_latents", 3,
                "resampler_depth", 2, "resampler_n_heads", 2, "resampler_head_dim", 4, "num_key_value_heads", 1,
                "modality_projection", true, "in_features", 6, "modality_intermediate_size", 10))) {
            Map<String, NDArray> params = all(c);
            assertTrue(params.containsKey("latents") && params.containsKey("modality_projection.up_proj.weight"),
                    params.keySet().toString());
            check(params, project(c, 6, new long[] {1, 1, 1, 1, 0, 1, 1, 1, 1, 1}));
        }
    }

    @Test
    void flamingoResamplerGradientsMatchFiniteDifferences() {
        try (Connector c = connector("perceiver_resampler_flamingo", Map.of("hidden_size", 8, "depth", 2, "dim_head",
                4, "heads", 2, "num_latents", 3, "out_features", 5, "max_num_media", 2, "max_num_frames", 2))) {
            Map<String, NDArray> params = all(c);
            assertTrue(params.containsKey("frame_embs") && params.containsKey("layers.1.0.to_kv.weight"),
                    params.keySet().toString());
            check(params, project(c, 8, new long[] {1, 1, 1, 1, 1, 1, 1, 1, 0, 0}));
        }
    }

    @Test
    void loraOnALinearTrainsBothFactors() {
        try (Connector c = connector("mlp", Map.of("in_features", 6, "hidden_features", 7, "out_features", 5));
                Parameters params = new Parameters(manager)) {
            params.add("", c).lora("", new Lora(2, 4, 0, List.of("linear_1")), GradientCheckTest::randomFactors, 0);
            assertEquals(List.of("linear_1.lora_A.weight", "linear_1.lora_B.weight"),
                    List.copyOf(params.trainable().keySet()));
            check(new LinkedHashMap<>(params.trainable()), project(c, 6, null));
        }
    }

    @Test
    void loraOnFusedLlamaProjectionsAndLayerNorms() throws IOException {
        try (LanguageModel llm = llama(); Parameters params = new Parameters(manager)) {
            params.add("", llm).lora("", new Lora(2, 4, 0, List.of("q_proj", "v_proj")),
                    GradientCheckTest::randomFactors, 0);
            Map<String, NDArray> checked = new LinkedHashMap<>(params.trainable());
            assertEquals(8, checked.size(), checked.keySet().toString()); // 2 layers x q, v x A, B
            checked.put("model.layers.0.input_layernorm.weight", params.all().get("model.layers.0.input_layernorm.weight"));
            checked.put("model.layers.0.post_attention_layernorm.weight",
                    params.all().get("model.layers.0.post_attention_layernorm.weight"));
            checked.put("model.layers.1.self_attn.o_proj.weight", params.all().get("model.layers.1.self_attn.o_proj.weight"));
            check(checked, logits(llm));
        }
    }

    @Test
    void loraOnClipVisionAttentionAndItsOwnTensors() {
        Map<String, Object> yaml = new LinkedHashMap<>(Map.of("init", "random", "seed", 3, "hidden_size", 8,
                "intermediate_size", 12, "num_hidden_layers", 1, "num_attention_heads", 2, "image_size", 8, "feature_layer", -1,
                "patch_size", 4));
        try (VisionEncoder encoder = runtime.loader().load("clip_vision", Role.VISION_ENCODER, null, yaml, manager,
                        DataType.FLOAT64);
                Parameters params = new Parameters(manager)) {
            params.add("", encoder).lora("", new Lora(2, 4, 0, List.of("q_proj", "v_proj")),
                    GradientCheckTest::randomFactors, 0);
            Map<String, NDArray> checked = new LinkedHashMap<>(params.trainable());
            for (String name : List.of("vision_model.embeddings.patch_embedding.weight",
                    "vision_model.embeddings.class_embedding", "vision_model.embeddings.position_embedding.weight",
                    "vision_model.pre_layrnorm.weight", "vision_model.encoder.layers.0.layer_norm1.weight",
                    "vision_model.encoder.layers.0.self_attn.out_proj.weight", "vision_model.encoder.layers.0.mlp.fc1.bias")) {
                assertTrue(params.all().containsKey(name), name + " not in " + params.all().keySet());
                checked.put(name, params.all().get(name));
            }
            double[] pixels = gaussian(2 * 3 * 8 * 8, 21);
            check(checked, m -> encoder.encode(m.create(pixels, new Shape(2, 3, 8, 8))).features());
        }
    }

    @Test
    void loraOnClipTextAttentionAndItsOwnTensors() {
        Map<String, Object> yaml = new LinkedHashMap<>(Map.of("init", "random", "seed", 4, "hidden_size", 8,
                "intermediate_size", 12, "num_hidden_layers", 1, "num_attention_heads", 2, "vocab_size", 6,
                "max_position_embeddings", 6, "eos_token_id", 5, "projection_dim", 5));
        try (TextEncoder encoder = runtime.loader().load("clip_text", Role.TEXT_ENCODER, null, yaml, manager,
                        DataType.FLOAT64);
                Parameters params = new Parameters(manager)) {
            params.add("", encoder).lora("", new Lora(2, 4, 0, List.of("q_proj", "v_proj")),
                    GradientCheckTest::randomFactors, 0);
            Map<String, NDArray> checked = new LinkedHashMap<>(params.trainable());
            for (String name : List.of("text_model.embeddings.token_embedding.weight",
                    "text_model.embeddings.position_embedding.weight", "text_model.encoder.layers.0.layer_norm1.weight",
                    "text_model.encoder.layers.0.self_attn.out_proj.weight", "text_model.encoder.layers.0.mlp.fc1.bias",
                    "text_model.final_layer_norm.weight", "text_projection.weight")) {
                assertTrue(params.all().containsKey(name), name + " not in " + params.all().keySet());
                checked.put(name, params.all().get(name));
            }
            // every token and position is used; the second row is padded after its end token
            long[] ids = {0, 1, 2, 3, 4, 5, 4, 2, 1, 5, 5, 5};
            long[] mask = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0};
            check(checked, m -> encoder.encode(m.create(ids, new Shape(2, 6)), m.create(mask, new Shape(2, 6))).embeds());
        }
    }

    /** q/k/v_proj and gate/up_proj, rows of fused matrices, train by their checkpoint names (globs). */
    @Test
    void fusedLlamaProjectionsTrainByTheirCheckpointNames() throws IOException {
        try (LanguageModel llm = llama(); Parameters params = new Parameters(manager)) {
            params.add("", llm).train(List.of("model.layers.*.self_attn.q_proj.*", "model.layers.0.self_attn.k_proj.weight",
                    "model.layers.1.self_attn.v_proj.weight", "model.layers.0.mlp.gate_proj.weight",
                    "model.layers.1.mlp.up_proj.*"));
            Map<String, NDArray> checked = new LinkedHashMap<>(params.trainable());
            assertEquals(List.of("model.layers.0.self_attn.q_proj.weight", "model.layers.1.self_attn.q_proj.weight",
                    "model.layers.0.self_attn.k_proj.weight", "model.layers.1.self_attn.v_proj.weight",
                    "model.layers.0.mlp.gate_proj.weight", "model.layers.1.mlp.up_proj.weight"),
                    List.copyOf(checked.keySet()));
            assertEquals(new Shape(32, 32), checked.get("model.layers.0.self_attn.q_proj.weight").getShape());
            assertEquals(new Shape(48, 32), checked.get("model.layers.0.mlp.gate_proj.weight").getShape());
            check(checked, logits(llm));
        }
    }

    /** SigLIP's fused q/k/v rows, and its pooling head's probe and in_proj, which the head folds at load. */
    @Test
    void siglipFusedProjectionsAndPoolingHead() {
        Map<String, Object> yaml = new LinkedHashMap<>(Map.of("init", "random", "seed", 3, "hidden_size", 8,
                "intermediate_size", 12, "num_hidden_layers", 1, "num_attention_heads", 2, "image_size", 8, "patch_size", 4));
        try (VisionEncoder encoder = runtime.loader().load("siglip_vision", Role.VISION_ENCODER, null, yaml, manager,
                DataType.FLOAT64)) {
            Map<String, NDArray> all = all(encoder);
            Map<String, NDArray> checked = new LinkedHashMap<>();
            for (String name : List.of("vision_model.encoder.layers.0.self_attn.q_proj.weight",
                    "vision_model.encoder.layers.0.self_attn.v_proj.bias", "vision_model.head.probe",
                    "vision_model.head.attention.in_proj_weight", "vision_model.head.attention.in_proj_bias")) {
                assertTrue(all.containsKey(name), name + " not in " + all.keySet());
                checked.put(name, all.get(name));
            }
            double[] pixels = gaussian(2 * 3 * 8 * 8, 22);
            check(checked, m -> encoder.encode(m.create(pixels, new Shape(2, 3, 8, 8))).pooled());
        }
    }

    /**
     * The UNet's convolutions (one whose 12 input channels are padded at load, conv_out whose 4
     * outputs are padded while recording, a 1x1 projection kernel), group norms and time embedding.
     */
    @Test
    void unetConvolutionsNormsAndTimeEmbedding() {
        Map<String, Object> yaml = new LinkedHashMap<>(Map.of("init", "random", "seed", 2, "block_out_channels",
                List.of(12, 20), "down_block_types", List.of("CrossAttnDownBlock2D", "DownBlock2D"), "up_block_types",
                List.of("UpBlock2D", "CrossAttnUpBlock2D"), "layers_per_block", 1, "attention_head_dim", 2,
                "cross_attention_dim", 6, "norm_num_groups", 4));
        try (org.mix4j.api.Denoiser unet = runtime.loader().load("unet2d_condition", Role.DENOISER, null, yaml, manager,
                DataType.FLOAT64)) {
            Map<String, NDArray> all = all(unet);
            Map<String, NDArray> checked = new LinkedHashMap<>();
            for (String name : List.of("conv_in.weight", "down_blocks.0.resnets.0.conv1.weight",
                    "down_blocks.0.resnets.0.norm1.weight", "down_blocks.0.resnets.0.norm2.bias",
                    "down_blocks.0.attentions.0.proj_in.weight", "up_blocks.1.resnets.0.conv_shortcut.weight",
                    "time_embedding.linear_1.weight", "conv_norm_out.weight", "conv_out.weight", "conv_out.bias")) {
                assertTrue(all.containsKey(name), name + " not in " + all.keySet());
                checked.put(name, all.get(name));
            }
            double[] sample = gaussian(2 * 4 * 8 * 8, 23);
            double[] context = gaussian(2 * 3 * 6, 24);
            check(checked, m -> unet.forward(m.create(sample, new Shape(2, 4, 8, 8)), m.create(new long[] {10, 900}),
                    m.create(context, new Shape(2, 3, 6)), null));
        }
    }

    /** The pooled prompt of {@code addition_embed_type: text}: layer norms, attention pooling, projection. */
    @Test
    void unetPooledPromptEmbedding() {
        Map<String, Object> yaml = new LinkedHashMap<>(Map.of("init", "random", "seed", 3, "block_out_channels",
                List.of(8, 8), "down_block_types", List.of("DownBlock2D", "DownBlock2D"), "up_block_types",
                List.of("UpBlock2D", "UpBlock2D"), "mid_block_type", "UNetMidBlock2D", "layers_per_block", 1,
                "cross_attention_dim", 6, "norm_num_groups", 4, "addition_embed_type", "text"));
        yaml.put("addition_embed_type_num_heads", 2);
        try (org.mix4j.api.Denoiser unet = runtime.loader().load("unet2d_condition", Role.DENOISER, null, yaml, manager,
                DataType.FLOAT64)) {
            Map<String, NDArray> all = all(unet);
            Map<String, NDArray> checked = new LinkedHashMap<>();
            for (String name : List.of("add_embedding.norm1.weight", "add_embedding.pool.positional_embedding",
                    "add_embedding.pool.q_proj.weight", "add_embedding.pool.k_proj.weight",
                    "add_embedding.pool.v_proj.weight", "add_embedding.pool.v_proj.bias", "add_embedding.proj.weight",
                    "add_embedding.norm2.bias")) {
                assertTrue(all.containsKey(name), name + " not in " + all.keySet());
                checked.put(name, all.get(name));
            }
            double[] sample = gaussian(2 * 4 * 4 * 4, 25);
            double[] context = gaussian(2 * 3 * 6, 26);
            check(checked, m -> unet.forward(m.create(sample, new Shape(2, 4, 4, 4)), m.create(new long[] {10, 900}),
                    m.create(context, new Shape(2, 3, 6)), null));
        }
    }

    // ---- the check

    private static void check(Map<String, NDArray> params, Forward forward) {
        params.values().forEach(p -> p.setRequiresGradient(true));
        double[] weights;
        Shape outShape;
        Map<String, double[]> grads = new LinkedHashMap<>();
        try (NDManager step = manager.newSubManager()) {
            try (Autograd.Recording recording = Autograd.record()) {
                NDArray out = forward.run(step);
                assertEquals(DataType.FLOAT64, out.getDataType(), "the forward does not run in float64");
                outShape = out.getShape();
                weights = gaussian((int) outShape.size(), 99);
                recording.backward(out.mul(step.create(weights, outShape)).sum());
            }
            params.forEach((name, p) -> {
                try (NDArray g = p.getGradient()) {
                    grads.put(name, g.toDoubleArray());
                }
            });
        } finally {
            params.values().forEach(p -> p.setRequiresGradient(false));
        }
        double worst = 0;
        String worstAt = "";
        List<String> failures = new ArrayList<>();
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            NDArray p = e.getValue();
            double[] original = p.toDoubleArray();
            double[] grad = grads.get(e.getKey());
            double largest = 0;
            for (int index : sample(original.length, e.getKey().hashCode())) {
                NDIndex at = at(p.getShape(), index);
                p.set(at, original[index] + H); // in place: set(double[]) would swap the array's tensor, not write it
                double plus = loss(forward, weights, outShape);
                p.set(at, original[index] - H);
                double minus = loss(forward, weights, outShape);
                p.set(at, original[index]);
                double numeric = (plus - minus) / (2 * H);
                double error = Math.abs(grad[index] - numeric);
                double relative = error / Math.max(Math.abs(numeric), 1e-12);
                largest = Math.max(largest, Math.abs(numeric));
                if (error > RTOL * Math.abs(numeric) + ATOL) {
                    failures.add(e.getKey() + "[" + index + "]: autograd " + grad[index] + ", finite difference " + numeric);
                } else if (Math.abs(numeric) > 1e-6 && relative > worst) {
                    worst = relative;
                    worstAt = e.getKey() + "[" + index + "]";
                }
            }
            // softmax does not see a key bias (it adds the same to every score of a query): its gradient is 0
            assertTrue(largest > 1e-6 || e.getKey().endsWith("key.bias"),
                    e.getKey() + ": every sampled gradient is ~0, nothing was checked");
        }
        System.out.printf("gradient check: %d tensors, largest relative error %.2e at %s%n", params.size(), worst,
                worstAt);
        assertTrue(failures.isEmpty(), failures.size() + " gradients differ: " + failures);
    }

    private static double loss(Forward forward, double[] weights, Shape shape) {
        try (NDManager step = manager.newSubManager()) {
            return forward.run(step).mul(step.create(weights, shape)).sum().getDouble();
        }
    }

    /** The index of flat element {@code flat} of an array of {@code shape}. */
    private static NDIndex at(Shape shape, int flat) {
        long[] dims = shape.getShape();
        StringBuilder spec = new StringBuilder();
        long rest = flat;
        long[] idx = new long[dims.length];
        for (int d = dims.length - 1; d >= 0; d--) {
            idx[d] = rest % dims[d];
            rest /= dims[d];
        }
        for (int d = 0; d < dims.length; d++) {
            spec.append(d == 0 ? "" : ", ").append(idx[d]);
        }
        return new NDIndex(spec.toString());
    }

    private static int[] sample(int size, long seed) {
        if (size <= SAMPLES) {
            return java.util.stream.IntStream.range(0, size).toArray();
        }
        return new Random(seed).ints(0, size).distinct().limit(SAMPLES).toArray();
    }

    // ---- tiny components

    private static Connector connector(String type, Map<String, Object> sizes) {
        Map<String, Object> yaml = new LinkedHashMap<>(sizes);
        yaml.put("init", "random");
        yaml.put("seed", 5);
        return runtime.loader().load(type, Role.CONNECTOR, null, yaml, manager, DataType.FLOAT64);
    }

    private LanguageModel llama() throws IOException {
        TinyCheckpoint.write(dir, TinyModels.LLAMA_GQA, 7);
        return runtime.loader().load("llama", Role.LANGUAGE_MODEL, dir, Map.of(), manager, DataType.FLOAT64);
    }

    /** The logits {@code [1, 5, V]} of five tokens. */
    private static Forward logits(LanguageModel llm) {
        return m -> {
            NDArray ids = m.create(new long[] {3, 17, 250, 9, 41}, new Shape(1, 5));
            NDArray positions = m.arange(5L).reshape(1, 5);
            NDArray mask = m.ones(new Shape(1, 5), DataType.INT64);
            return llm.forward(llm.embed(ids), positions, mask, null).logits();
        };
    }

    /** Every listed tensor of a component (all float64). */
    private static Map<String, NDArray> all(Object component) {
        Map<String, NDArray> params = new LinkedHashMap<>(((Trainable) component).parameters());
        assertFalse(params.isEmpty());
        params.forEach((name, p) -> assertEquals(DataType.FLOAT64, p.getDataType(), name));
        return params;
    }

    /** Projects two images of 5 tokens ({@code [2, 5, width]}), with a {@code [2, 5]} mask when given. */
    private static Forward project(Connector c, int width, long[] mask) {
        double[] features = gaussian(2 * 5 * width, 17);
        return m -> c.project(m.create(features, new Shape(2, 5, width)),
                mask == null ? null : m.create(mask, new Shape(2, 5)), new TokenGrid(1, 5, 0));
    }

    private static NDArray[] randomFactors(String module, Shape[] shapes) {
        NDArray[] out = new NDArray[shapes.length];
        for (int i = 0; i < shapes.length; i++) {
            double[] v = gaussian((int) shapes[i].size(), module.hashCode() + i);
            for (int j = 0; j < v.length; j++) {
                v[j] *= 0.3;
            }
            out[i] = manager.create(v, shapes[i]);
        }
        return out;
    }

    private static double[] gaussian(int n, long seed) {
        Random random = new Random(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = random.nextGaussian();
        }
        return v;
    }
}
