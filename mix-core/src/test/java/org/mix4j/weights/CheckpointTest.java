package org.mix4j.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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

    /**
     * A config with num_hidden_layers: 1e9 asked for placeholders without end (21.7 GB before it
     * failed); loading now stops once the missing tensors alone outgrow the checkpoint.
     */
    @Test
    void stopsOnceMissingTensorsOutgrowTheCheckpoint() throws IOException {
        shards(); // 20 values in all
        try (Checkpoint c = Checkpoint.open(dir)) {
            Weights layers = c.weights(manager, DataType.FLOAT32).child("model.layers.");
            int[] asked = {0};
            CheckpointException e = assertTimeoutPreemptively(Duration.ofSeconds(2), () -> assertThrows(
                    CheckpointException.class, () -> {
                        for (int i = 0; i < 1_000_000_000; i++) {
                            asked[0]++;
                            layers.get(i + ".big", new Shape(2, 4));
                        }
                    }));
            assertEquals(3, asked[0]); // 3 x 8 missing values > 20
            assertTrue(e.getMessage().contains("stopped loading after 3 missing tensor(s) (model.layers.0.big, ")
                    && e.getMessage().contains("more than the whole checkpoint (20)")
                    && e.getMessage().contains("weights_prefix") && !e.getMessage().contains("\n"), e.getMessage());
        }
    }

    /** A checkpoint of one U8 tensor of a billion values, in a sparse file (no disk used). */
    private Path sparseCheckpoint() throws IOException {
        Path file = dir.resolve("sparse.safetensors");
        byte[] header = "{\"big\":{\"dtype\":\"U8\",\"shape\":[1000000000],\"data_offsets\":[0,1000000000]}}"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(file.toFile(), "rw")) {
            f.write(java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
            f.write(header);
            f.setLength(8 + header.length + 1_000_000_000L);
        }
        return file;
    }

    /**
     * A wrong weights_prefix on a 7B model allocated ~27 GB of zeros to report the missing names.
     * Here the checkpoint holds a billion values and the model, read under a wrong prefix, misses
     * 400 million, then 300 million more in a fused q/k/v projection: the placeholders are views of
     * one zero and the fused one is not copied together, so this takes no time and no memory.
     */
    @Test
    void wrongWeightsPrefixCostsNoMemoryBeforeItIsReported() throws IOException {
        try (Checkpoint c = Checkpoint.open(sparseCheckpoint())) {
            Weights w = c.weights(manager, DataType.FLOAT32).child("wrong_prefix.");
            assertTimeoutPreemptively(Duration.ofSeconds(2), () -> {
                assertEquals(new Shape(20000, 20000), w.get("embed.weight", new Shape(20000, 20000)).getShape());
                org.mix4j.nn.Linear qkv = org.mix4j.nn.Linear.fused(w, List.of("q", "k", "v"), 10000,
                        new long[] {10000, 10000, 10000}, true, org.mix4j.tensor.TensorParallel.SERIAL);
                assertEquals(30000, qkv.outFeatures());
            });
            CheckpointException e = assertThrows(CheckpointException.class, () -> w.report().throwIfMissing());
            assertTrue(e.getMessage().contains("7 tensor(s)")
                    && e.getMessage().contains("wrong_prefix.embed.weight, wrong_prefix.q.weight, wrong_prefix.q.bias")
                    && !e.getMessage().contains("\n"), e.getMessage());
            assertTrue(c.hasPrefix("bi") && !c.hasPrefix("wrong_prefix.") && c.topLevelPrefixes(5).equals(List.of("big")));
        }
    }
}
