package org.mix4j.encoders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.api.EncoderOutput;
import org.mix4j.api.Role;
import org.mix4j.api.VisionEncoder;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.encoders.clip.ClipVisionConfig;
import org.mix4j.encoders.clip.ClipVisionEncoder;
import org.mix4j.encoders.siglip.SiglipVisionConfig;
import org.mix4j.encoders.siglip.SiglipVisionEncoder;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.weights.Checkpoint;
import org.mix4j.weights.CheckpointException;
import org.mix4j.weights.CheckpointWeights;

/** Loading real checkpoints: prefixes, and checkpoints that do not fit the config. */
class CheckpointLoadingTest extends EncoderTestSupport {

    private static final String FC1 = "vision_model.encoder.layers.1.mlp.fc1.weight";

    @Test
    void wrongShapedTensorFailsNamingTheTensorAndBothShapes(@TempDir Path dir) throws IOException {
        copyFixtureWithHeader("clip_vision", dir, header -> {
            JsonArray shape = header.getAsJsonObject(FC1).getAsJsonArray("shape");
            JsonArray swapped = new JsonArray();
            swapped.add(shape.get(1));
            swapped.add(shape.get(0));
            header.getAsJsonObject(FC1).add("shape", swapped); // same byte size, transposed shape
        });
        try (NDManager m = root.newSubManager()) {
            CheckpointException e = assertThrows(CheckpointException.class,
                    () -> load("clip_vision", Role.VISION_ENCODER, dir, Map.of(), m));
            assertTrue(e.getMessage().contains("'" + FC1 + "'"), e.getMessage());
            assertTrue(e.getMessage().contains("(32, 64)") && e.getMessage().contains("(64, 32)"), e.getMessage());
            assertEquals(0, m.getManagedArrays().size(), "a failed load frees what it had read");
        }
    }

    @Test
    void missingTensorsAreReportedTogether(@TempDir Path dir) throws IOException {
        copyFixtureWithHeader("clip_vision", dir, header -> {
            // renamed rather than removed, so the data section stays exactly covered
            header.add(FC1 + "_renamed", header.remove(FC1));
            header.add("vision_model.post_layernorm.bias_renamed", header.remove("vision_model.post_layernorm.bias"));
        });
        try (NDManager m = root.newSubManager()) {
            CheckpointException e = assertThrows(CheckpointException.class,
                    () -> load("clip_vision", Role.VISION_ENCODER, dir, Map.of(), m));
            assertTrue(e.getMessage().contains(FC1) && e.getMessage().contains("vision_model.post_layernorm.bias"),
                    e.getMessage());
        }
    }

    @Test
    void weightsPrefixReachesTheTowerInsideLlava() {
        try (NDManager m = root.newSubManager();
                VisionEncoder encoder = load("clip_vision", Role.VISION_ENCODER, fixture("llava"),
                        Map.of("weights_prefix", "vision_tower."), m)) {
            assertFalse(((ClipVisionEncoder) encoder).hasProjection(), "LLaVA's CLIPVisionModel has no projection");
            EncoderOutput out = encoder.encode(m.zeros(new Shape(1, 3, encoder.imageSize(), encoder.imageSize())));
            assertNull(out.embeds());
            assertEquals(encoder.grid(encoder.imageSize(), encoder.imageSize()).tokens(), out.features().getShape().get(1));
        }
    }

    @Test
    void aPrefixThatRepeatsTheTowerNameFailsListingTheNamesItLookedFor() {
        try (NDManager m = root.newSubManager()) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> load("clip_vision",
                    Role.VISION_ENCODER, fixture("clip_vision"), Map.of("weights_prefix", "vision_model."), m));
            assertTrue(e.getMessage().contains("vision_model.vision_model.embeddings.class_embedding"), e.getMessage());
            assertTrue(e.getMessage().contains("weights_prefix 'vision_model.'"), e.getMessage());
        }
    }

    @Test
    void theVisionTowersUseEveryTensorOfTheirCheckpoints() {
        // a tower that silently ignored a tensor (a bias, a norm) would leave it unused here
        for (String kind : List.of("clip_vision", "siglip_vision")) {
            try (NDManager m = root.newSubManager(); Checkpoint checkpoint = Checkpoint.open(fixture(kind))) {
                CheckpointWeights weights = checkpoint.weights(m, DataType.FLOAT32);
                Record config = loader.bindConfig(ComponentLoader.spec(kind, fixture(kind), Map.of()),
                        Role.VISION_ENCODER, fixture(kind));
                VisionEncoder encoder = config instanceof ClipVisionConfig clip
                        ? new ClipVisionEncoder(clip, weights, m, DataType.FLOAT32, TensorParallel.SERIAL)
                        : new SiglipVisionEncoder((SiglipVisionConfig) config, weights, m, DataType.FLOAT32,
                                TensorParallel.SERIAL);
                assertEquals(List.of(), weights.unused(), kind);
                encoder.close();
            }
        }
    }
}
