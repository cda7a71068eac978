package org.mix4j.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every safetensors file of every golden fixture loads through {@link Weights}, and each tensor's
 * name, shape and dtype match the file's own header, read here independently of the reader.
 */
class FixtureWeightsTest {

    private static final Map<String, DataType> DTYPES = Map.of("F32", DataType.FLOAT32, "F16", DataType.FLOAT16,
            "BF16", DataType.BFLOAT16, "I64", DataType.INT64, "I32", DataType.INT32, "U8", DataType.UINT8,
            "I8", DataType.INT8, "BOOL", DataType.BOOLEAN, "F64", DataType.FLOAT64);

    @TestFactory
    Stream<DynamicTest> everyFixtureTensorLoadsWithItsHeaderShapeAndDtype() throws IOException {
        Path root = Path.of(System.getProperty("mix.golden.dir"));
        List<Path> files;
        try (Stream<Path> s = Files.walk(root)) {
            files = s.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList();
        }
        assertFalse(files.isEmpty(), "no fixtures under " + root);
        return files.stream().map(f -> DynamicTest.dynamicTest(root.relativize(f).toString(), () -> check(f)));
    }

    private static void check(Path file) throws IOException {
        JsonObject header = rawHeader(file);
        try (Checkpoint checkpoint = Checkpoint.open(file); NDManager manager = NDManager.newBaseManager()) {
            Weights weights = checkpoint.weights(manager, DataType.FLOAT32);
            int count = 0;
            for (Map.Entry<String, JsonElement> e : header.entrySet()) {
                if (e.getKey().equals("__metadata__")) {
                    continue;
                }
                JsonObject entry = e.getValue().getAsJsonObject();
                long[] dims = new long[entry.getAsJsonArray("shape").size()];
                for (int i = 0; i < dims.length; i++) {
                    dims[i] = entry.getAsJsonArray("shape").get(i).getAsLong();
                }
                DataType stored = DTYPES.get(entry.get("dtype").getAsString());
                try (NDManager scope = manager.newSubManager()) {
                    NDArray viaWeights = weights.child("").get(e.getKey(), new Shape(dims));
                    viaWeights.attach(scope);
                    assertEquals(new Shape(dims), viaWeights.getShape(), e.getKey());
                    assertEquals(stored.isFloating() ? DataType.FLOAT32 : stored, viaWeights.getDataType(), e.getKey());
                    NDArray raw = checkpoint.files().get(0).read(e.getKey(), scope);
                    assertEquals(stored, raw.getDataType(), e.getKey());
                }
                count++;
            }
            assertEquals(count, checkpoint.tensors().size());
            weights.report().throwIfMissing();
        }
    }

    private static JsonObject rawHeader(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return JsonParser.parseString(new String(bytes, 8, (int) n, StandardCharsets.UTF_8)).getAsJsonObject();
    }
}
