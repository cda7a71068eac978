package org.mix4j.llm;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Writes a small LLaMA-family checkpoint (config.json + model.safetensors) with random weights
 * scaled like the golden fixtures (1/sqrt(fan_in) matrices, biases 0.1, norms 1 + 0.1 noise), so
 * tests load it through the normal path. Tensor names follow transformers' checkpoints.
 */
public final class TinyCheckpoint {

    private TinyCheckpoint() {}

    public static Path write(Path dir, String configJson, long seed) throws IOException {
        JsonObject c = JsonParser.parseString(configJson).getAsJsonObject();
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), configJson);
        String type = c.get("model_type").getAsString();
        int vocab = c.get("vocab_size").getAsInt();
        int hidden = c.get("hidden_size").getAsInt();
        int inter = c.get("intermediate_size").getAsInt();
        int heads = c.get("num_attention_heads").getAsInt();
        int kvHeads = c.has("num_key_value_heads") ? c.get("num_key_value_heads").getAsInt() : heads;
        int headDim = c.has("head_dim") ? c.get("head_dim").getAsInt() : hidden / heads;
        boolean attentionBias = c.has("attention_bias") && c.get("attention_bias").getAsBoolean();
        boolean qkvBias = type.equals("qwen2") || (type.equals("llama") && attentionBias);
        boolean oBias = type.equals("llama") && attentionBias;
        boolean mlpBias = c.has("mlp_bias") && c.get("mlp_bias").getAsBoolean();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("model.embed_tokens.weight", new long[] {vocab, hidden});
        for (int i = 0; i < c.get("num_hidden_layers").getAsInt(); i++) {
            String p = "model.layers." + i + ".";
            linear(shapes, p + "self_attn.q_proj", heads * headDim, hidden, qkvBias);
            linear(shapes, p + "self_attn.k_proj", kvHeads * headDim, hidden, qkvBias);
            linear(shapes, p + "self_attn.v_proj", kvHeads * headDim, hidden, qkvBias);
            linear(shapes, p + "self_attn.o_proj", hidden, heads * headDim, oBias);
            linear(shapes, p + "mlp.gate_proj", inter, hidden, mlpBias);
            linear(shapes, p + "mlp.up_proj", inter, hidden, mlpBias);
            linear(shapes, p + "mlp.down_proj", hidden, inter, mlpBias);
            shapes.put(p + "input_layernorm.weight", new long[] {hidden});
            shapes.put(p + "post_attention_layernorm.weight", new long[] {hidden});
        }
        shapes.put("model.norm.weight", new long[] {hidden});
        if (!(c.has("tie_word_embeddings") && c.get("tie_word_embeddings").getAsBoolean())) {
            shapes.put("lm_head.weight", new long[] {vocab, hidden});
        }
        writeSafetensors(dir.resolve("model.safetensors"), shapes, new Random(seed));
        return dir;
    }

    private static void linear(Map<String, long[]> shapes, String name, int out, int in, boolean bias) {
        shapes.put(name + ".weight", new long[] {out, in});
        if (bias) {
            shapes.put(name + ".bias", new long[] {out});
        }
    }

    private static void writeSafetensors(Path file, Map<String, long[]> shapes, Random random) throws IOException {
        StringBuilder header = new StringBuilder("{");
        long offset = 0;
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            long n = count(e.getValue());
            header.append(header.length() > 1 ? "," : "").append('"').append(e.getKey()).append("\":{\"dtype\":\"F32\",")
                    .append("\"shape\":").append(java.util.Arrays.toString(e.getValue()).replace(" ", ""))
                    .append(",\"data_offsets\":[").append(offset).append(',').append(offset + 4 * n).append("]}");
            offset += 4 * n;
        }
        header.append('}');
        while ((header.length() + 8) % 8 != 0) {
            header.append(' ');
        }
        byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
            out.write(h);
            for (Map.Entry<String, long[]> e : shapes.entrySet()) {
                long[] s = e.getValue();
                ByteBuffer data = ByteBuffer.allocate((int) (4 * count(s))).order(ByteOrder.LITTLE_ENDIAN);
                boolean norm = e.getKey().endsWith("norm.weight");
                boolean bias = e.getKey().endsWith(".bias");
                double std = e.getKey().contains("embed_tokens") ? 0.5 : bias ? 0.1 : norm ? 0.1 : 1 / Math.sqrt(s[s.length - 1]);
                for (long i = 0; i < count(s); i++) {
                    data.putFloat((float) ((norm ? 1 : 0) + random.nextGaussian() * std));
                }
                out.write(data.array());
            }
        }
    }

    private static long count(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }
}
