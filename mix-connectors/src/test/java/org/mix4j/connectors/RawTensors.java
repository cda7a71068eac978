package org.mix4j.connectors;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads float32 / int64 and writes float32 safetensors files with nothing but the file format, so tests can take
 * reference values from a checkpoint (and build small checkpoints) independently of mix4j's reader.
 */
public final class RawTensors {

    /** A tensor in row-major order, widened to double for reference arithmetic. */
    public record Tensor(long[] shape, double[] values) {
        public int dim(int axis) {
            return (int) shape[axis];
        }
    }

    private RawTensors() {}

    public static Map<String, Tensor> read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength = (int) buf.getLong(0);
        JsonObject header = JsonParser.parseString(new String(bytes, 8, headerLength, StandardCharsets.UTF_8))
                .getAsJsonObject();
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : header.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                continue;
            }
            JsonObject entry = e.getValue().getAsJsonObject();
            String dtype = entry.get("dtype").getAsString();
            if (!dtype.equals("F32") && !dtype.equals("I64")) {
                continue;
            }
            int width = dtype.equals("F32") ? 4 : 8;
            JsonArray dims = entry.getAsJsonArray("shape");
            long[] shape = new long[dims.size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = dims.get(i).getAsLong();
            }
            long begin = entry.getAsJsonArray("data_offsets").get(0).getAsLong();
            long end = entry.getAsJsonArray("data_offsets").get(1).getAsLong();
            double[] values = new double[(int) ((end - begin) / width)];
            int base = 8 + headerLength + (int) begin;
            for (int i = 0; i < values.length; i++) {
                values[i] = width == 4 ? buf.getFloat(base + 4 * i) : buf.getLong(base + 8 * i);
            }
            out.put(e.getKey(), new Tensor(shape, values));
        }
        return out;
    }

    /** Writes the tensors as float32, in map order. */
    public static void write(Path file, Map<String, Tensor> tensors) throws IOException {
        JsonObject header = new JsonObject();
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            JsonObject entry = new JsonObject();
            entry.addProperty("dtype", "F32");
            JsonArray shape = new JsonArray();
            for (long d : e.getValue().shape()) {
                shape.add(d);
            }
            entry.add("shape", shape);
            JsonArray offsets = new JsonArray();
            offsets.add(offset);
            offset += 4L * e.getValue().values().length;
            offsets.add(offset);
            entry.add("data_offsets", offsets);
            header.add(e.getKey(), entry);
        }
        StringBuilder text = new StringBuilder(header.toString());
        while (text.length() % 8 != 0) {
            text.append(' ');
        }
        byte[] headerBytes = text.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + headerBytes.length + (int) offset).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(headerBytes.length).put(headerBytes);
        for (Tensor t : tensors.values()) {
            for (double v : t.values()) {
                buf.putFloat((float) v);
            }
        }
        Files.write(file, buf.array());
    }
}
