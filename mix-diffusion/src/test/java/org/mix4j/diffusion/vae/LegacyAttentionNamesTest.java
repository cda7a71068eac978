package org.mix4j.diffusion.vae;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.api.Autoencoder;
import org.mix4j.api.Role;
import org.mix4j.diffusion.DiffusionFixtures;
import org.mix4j.golden.GoldenCase;
import org.mix4j.weights.SafeTensorsFile;
import org.mix4j.weights.TensorInfo;

/**
 * Checkpoints written before diffusers renamed the VAE attention ({@code query/key/value/proj_attn},
 * here also stored as 1x1 convolutions as in the original LDM layout) give the same outputs as the
 * current names.
 */
class LegacyAttentionNamesTest {

    private static final Map<String, String> LEGACY = Map.of(".to_q.", ".query.", ".to_k.", ".key.",
            ".to_v.", ".value.", ".to_out.0.", ".proj_attn.");

    @Test
    void legacyAttentionNamesAndConvShapesDecodeAndEncodeIdentically(@TempDir Path dir) throws IOException {
        GoldenCase c = new GoldenCase(DiffusionFixtures.golden("vae_decoder"), "vae_decoder");
        Files.copy(c.file("config.json"), dir.resolve("config.json"));
        try (NDManager manager = NDManager.newBaseManager()) {
            writeLegacyCopy(c.file("diffusion_pytorch_model.safetensors"), dir.resolve("diffusion_pytorch_model.safetensors"),
                    manager);
            NDArray latent = c.tensor("latent", manager);
            NDArray image = c.tensor("image", manager);
            try (Autoencoder current = load(c.dir(), manager); Autoencoder legacy = load(dir, manager)) {
                assertEquals(0, DiffusionFixtures.maxAbsDiff(current.decode(latent), legacy.decode(latent)));
                assertEquals(0, DiffusionFixtures.maxAbsDiff(current.encode(image).mean(), legacy.encode(image).mean()));
            }
        }
    }

    private static Autoencoder load(Path dir, NDManager manager) {
        return DiffusionFixtures.loader().load("autoencoder_kl", Role.AUTOENCODER, dir, Map.of(), manager,
                DataType.FLOAT32);
    }

    /** A float32 safetensors copy with the attention projections renamed and their weights made 4-D. */
    private static void writeLegacyCopy(Path from, Path to, NDManager manager) throws IOException {
        Map<String, float[]> data = new LinkedHashMap<>();
        JsonObject header = new JsonObject();
        long offset = 0;
        try (SafeTensorsFile file = SafeTensorsFile.open(from)) {
            for (TensorInfo info : file.tensors().values()) {
                String name = info.name();
                long[] shape = info.shape().getShape();
                for (Map.Entry<String, String> e : LEGACY.entrySet()) {
                    if (name.contains(".attentions.0" + e.getKey())) {
                        name = name.replace(e.getKey(), e.getValue());
                        if (shape.length == 2) {
                            shape = new long[] {shape[0], shape[1], 1, 1};
                        }
                    }
                }
                float[] values = file.read(info.name(), manager).toType(DataType.FLOAT32, false).toFloatArray();
                JsonObject entry = new JsonObject();
                entry.addProperty("dtype", "F32");
                JsonArray dims = new JsonArray();
                for (long d : shape) {
                    dims.add(d);
                }
                entry.add("shape", dims);
                JsonArray offsets = new JsonArray();
                offsets.add(offset);
                offsets.add(offset + 4L * values.length);
                entry.add("data_offsets", offsets);
                header.add(name, entry);
                data.put(name, values);
                offset += 4L * values.length;
            }
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        try (OutputStream out = Files.newOutputStream(to)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length).array());
            out.write(json);
            for (float[] values : data.values()) {
                ByteBuffer buffer = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
                buffer.asFloatBuffer().put(values);
                out.write(buffer.array());
            }
        }
    }
}
