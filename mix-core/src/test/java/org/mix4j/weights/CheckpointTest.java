package org.mix4j.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {

    @TempDir
    Path dir;

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private void shards() throws IOException {
        new SafeTensorsWriter()
                .put("model.embed.weight", manager.arange(6f).reshape(3, 2))
                .put("model.layers.0.w", manager.ones(new Shape(2, 2)))
                .write(dir.resolve("model-00001-of-00002.safetensors"));
        new SafeTensorsWriter()
                .put("model.layers.1.w", manager.ones(new Shape(2, 2)).mul(2))
                .put("lm_head.weight", manager.zeros(new Shape(3, 2)))
                .write(dir.resolve("model-00002-of-00002.safetensors"));
        Files.writeString(dir.resolve("model.safetensors.index.json"), """
                {"metadata": {"total_size": 64}, "weight_map": {
                  "model.embed.weight": "model-00001-of-00002.safetensors",
                  "model.layers.0.w": "model-00001-of-00002.safetensors",
                  "model.layers.1.w": "model-00002-of-00002.safetensors",
                  "lm_head.weight": "model-00002-of-00002.safetensors"}}
                """);
    }

    @Test
    void loadsShardedCheckpointThroughItsIndex() throws IOException {
        shards();
        try (Checkpoint c = Checkpoint.open(dir)) {
            assertEquals(2, c.files().size());
            Weights model = c.weights(manager, DataType.FLOAT32).child("model.");
            assertEquals(Set.of("embed.weight", "layers.0.w", "layers.1.w"), model.names());
            assertArrayEquals(new float[] {2, 2, 2, 2}, model.child("layers.1.").get("w", new Shape(2, 2)).toFloatArray());
            assertEquals("model.layers.", model.child("layers.").prefix());
        }
    }

    @Test
    void reportsEveryMissingTensorAtOnce() throws IOException {
        shards();
        try (Checkpoint c = Checkpoint.open(dir)) {
            Weights w = c.weights(manager, DataType.FLOAT32);
            w.get("model.layers.2.w", new Shape(2, 2));
            w.get("model.norm.weight", new Shape(2));
            CheckpointException e = assertThrows(CheckpointException.class, () -> w.report().throwIfMissing());
            assertTrue(e.getMessage().contains("model.layers.2.w") && e.getMessage().contains("model.norm.weight")
                    && e.getMessage().contains("2 tensor(s)"), e.getMessage());
        }
    }

    @Test
    void reportsUnusedTensors() throws IOException {
        shards();
        try (Checkpoint c = Checkpoint.open(dir)) {
            CheckpointWeights w = c.weights(manager, DataType.FLOAT32);
            w.child("model.").get("embed.weight", new Shape(3, 2));
            assertEquals(List.of("lm_head.weight", "model.layers.0.w", "model.layers.1.w"), w.unused());
        }
    }

    @Test
    void rejectsWrongShapeNamingTensorAndBothShapes() throws IOException {
        shards();
        try (Checkpoint c = Checkpoint.open(dir)) {
            Weights w = c.weights(manager, DataType.FLOAT32);
            CheckpointException e = assertThrows(CheckpointException.class,
                    () -> w.get("model.embed.weight", new Shape(2, 3)));
            assertTrue(e.getMessage().contains("model.embed.weight") && e.getMessage().contains("(3, 2)")
                    && e.getMessage().contains("(2, 3)"), e.getMessage());
        }
    }

    @Test
    void rejectsIndexPointingAtMissingShard() throws IOException {
        shards();
        Files.delete(dir.resolve("model-00002-of-00002.safetensors"));
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.open(dir));
        assertTrue(e.getMessage().contains("model-00002-of-00002.safetensors") && e.getMessage().contains("missing"),
                e.getMessage());
    }

    @Test
    void rejectsIndexWhoseShardLacksTheTensor() throws IOException {
        shards();
        Files.writeString(dir.resolve("model.safetensors.index.json"), """
                {"weight_map": {"model.embed.weight": "model-00002-of-00002.safetensors"}}
                """);
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.open(dir));
        assertTrue(e.getMessage().contains("model.embed.weight"), e.getMessage());
    }

    @Test
    void rejectsShardPathsOutsideTheDirectory() throws IOException {
        Files.writeString(dir.resolve("model.safetensors.index.json"), """
                {"weight_map": {"a": "../../etc/passwd"}}
                """);
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.open(dir));
        assertTrue(e.getMessage().contains("plain file name"), e.getMessage());
    }

    @Test
    void rejectsTheSameTensorInTwoShards() throws IOException {
        new SafeTensorsWriter().put("x", manager.ones(new Shape(1))).write(dir.resolve("a.safetensors"));
        new SafeTensorsWriter().put("x", manager.ones(new Shape(1))).write(dir.resolve("b.safetensors"));
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.open(dir));
        assertTrue(e.getMessage().contains("'x'") && e.getMessage().contains("both"), e.getMessage());
    }

    @Test
    void convertsHalfPrecisionPerTensorToTheRequestedType() throws IOException {
        Path file = dir.resolve("half.safetensors");
        new SafeTensorsWriter().put("h", manager.create(new float[] {0.25f, -1f}).toType(DataType.FLOAT16, false))
                .put("ids", manager.create(new long[] {4, 5})).write(file);
        try (Checkpoint c = Checkpoint.open(file)) {
            Weights w = c.weights(manager, DataType.FLOAT32);
            assertEquals(DataType.FLOAT32, w.get("h").getDataType());
            assertEquals(DataType.INT64, w.get("ids").getDataType());
            Weights keep = c.weights(manager, DataType.FLOAT16);
            assertEquals(DataType.FLOAT16, keep.get("h").getDataType());
        }
    }

    @Test
    void randomWeightsAreSeededPerNameAndShaped() {
        Weights a = new RandomWeights(manager, DataType.FLOAT32, 7).child("proj.");
        Weights b = new RandomWeights(manager, DataType.FLOAT32, 7).child("proj.");
        Weights c = new RandomWeights(manager, DataType.FLOAT32, 8).child("proj.");
        float[] wa = a.get("weight", new Shape(4, 3)).toFloatArray();
        assertArrayEquals(wa, b.get("weight", new Shape(4, 3)).toFloatArray());
        assertTrue(!java.util.Arrays.equals(wa, c.get("weight", new Shape(4, 3)).toFloatArray()));
        assertArrayEquals(new float[] {0, 0, 0, 0}, a.get("bias", new Shape(4)).toFloatArray());
        assertArrayEquals(new float[] {1, 1}, a.child("norm.").get("weight", new Shape(2)).toFloatArray());
    }
}
