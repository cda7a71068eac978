package org.mix4j.encoders;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.mix4j.MixRuntime;
import org.mix4j.api.Role;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.registry.MixSettings;

/** A started runtime (the built-in components on the classpath) and comparison helpers. */
public abstract class EncoderTestSupport {

    protected static MixRuntime runtime;
    protected static ComponentLoader loader;
    protected static NDManager root;

    @BeforeAll
    static void startRuntime() {
        runtime = MixRuntime.start(MixSettings.builtInOnly());
        loader = runtime.loader();
        root = NDManager.newBaseManager();
    }

    @AfterAll
    static void stopRuntime() {
        root.close();
        runtime.close();
    }

    /** A golden fixture directory of this repository. */
    public static Path fixture(String name) {
        return Path.of(System.getProperty("mix.golden.dir", "../testdata/golden")).resolve(name);
    }

    /** Loads a component as YAML would, with {@code overrides} as its section's keys. */
    protected static <T> T load(String type, Role role, Path directory, Map<String, ?> overrides, NDManager manager) {
        return loader.load(type, role, directory, overrides, manager, DataType.FLOAT32);
    }

    /** Uniform values in [-1, 1) from a fixed seed. */
    protected static NDArray randomInput(NDManager manager, Shape shape, long seed) {
        Random random = new Random(seed);
        float[] values = new float[(int) shape.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextFloat() * 2 - 1;
        }
        return manager.create(values, shape);
    }

    /** Elementwise {@code |a - e| <= atol + rtol |e|} with the first offending index in the message. */
    protected static void assertClose(NDArray expected, NDArray actual, double atol, double rtol, String what) {
        assertArrayEquals(expected.getShape().getShape(), actual.getShape().getShape(), what + ": shape");
        float[] e = expected.toType(DataType.FLOAT32, false).toFloatArray();
        float[] a = actual.toType(DataType.FLOAT32, false).toFloatArray();
        for (int i = 0; i < e.length; i++) {
            if (!(Math.abs(a[i] - e[i]) <= atol + rtol * Math.abs(e[i]))) {
                fail(what + ": element " + i + " is " + a[i] + ", expected " + e[i] + " (atol " + atol + ", rtol "
                        + rtol + ")");
            }
        }
    }

    /** Largest absolute elementwise difference. */
    protected static double maxAbsDiff(NDArray x, NDArray y) {
        float[] a = x.toFloatArray();
        float[] b = y.toFloatArray();
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    /**
     * Copies a fixture's config and weights into {@code dir}, editing its safetensors header (the raw
     * format: u64 length, JSON, data) with {@code edit}; the data bytes are kept as they are.
     */
    protected static void copyFixtureWithHeader(String name, Path dir, Consumer<JsonObject> edit) throws IOException {
        Path source = fixture(name);
        Files.copy(source.resolve("config.json"), dir.resolve("config.json"));
        byte[] bytes = Files.readAllBytes(source.resolve("model.safetensors"));
        long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        JsonObject header = JsonParser.parseString(new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8))
                .getAsJsonObject();
        edit.accept(header);
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] newHeader = Arrays.copyOf(json, padded);
        Arrays.fill(newHeader, json.length, padded, (byte) ' ');
        ByteBuffer out = ByteBuffer.allocate(8 + padded + bytes.length - 8 - (int) headerLength)
                .order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded).put(newHeader).put(bytes, 8 + (int) headerLength, bytes.length - 8 - (int) headerLength);
        Files.write(dir.resolve("model.safetensors"), out.array());
    }
}
