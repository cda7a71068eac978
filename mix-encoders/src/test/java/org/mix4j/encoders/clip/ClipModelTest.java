package org.mix4j.encoders.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonElement;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.encoders.EncoderTestSupport;
import org.mix4j.golden.GoldenCase;
import org.mix4j.weights.CheckpointException;

/** The CLIP dual model used for retrieval, on the clip_full fixture. */
class ClipModelTest extends EncoderTestSupport {

    @Test
    void retrievesTheTextsTheReferenceRanksFirst() {
        GoldenCase c = new GoldenCase(fixture("clip_full"), "clip_full");
        try (NDManager m = root.newSubManager();
                ClipModel model = ClipModel.load(loader, c.dir(), Map.of(), m, DataType.FLOAT32)) {
            ClipModel.Output out = model.forward(c.tensor("pixel_values", m), c.tensor("input_ids", m),
                    c.tensor("attention_mask", m));
            long[] best = out.logitsPerImage().argMax(1).toLongArray();
            long[] expected = new long[best.length];
            int i = 0;
            for (JsonElement e : c.json().getAsJsonArray("retrieval_argmax_text_per_image")) {
                expected[i++] = e.getAsLong();
            }
            assertArrayEquals(expected, best);
            assertArrayEquals(out.logitsPerText().transpose().toFloatArray(), out.logitsPerImage().toFloatArray());
            for (NDArray embeds : new NDArray[] {out.imageEmbeds(), out.textEmbeds()}) {
                for (float norm : embeds.norm(new int[] {1}).toFloatArray()) {
                    assertEquals(1.0, norm, 1e-5, "embeddings are L2-normalised");
                }
            }
        }
    }

    @Test
    void aCheckpointWithoutLogitScaleFailsNamingIt(@TempDir Path dir) throws IOException {
        copyFixtureWithHeader("clip_full", dir, header -> header.add("logit_scale_renamed", header.remove("logit_scale")));
        try (NDManager m = root.newSubManager()) {
            CheckpointException e = assertThrows(CheckpointException.class,
                    () -> ClipModel.load(loader, dir, Map.of(), m, DataType.FLOAT32));
            assertTrue(e.getMessage().contains("logit_scale"), e.getMessage());
            assertEquals(0, m.getManagedArrays().size(), "a failed load frees what it had read");
        }
    }
}
