package org.mix4j.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.api.Autoencoder;
import org.mix4j.config.ConfigOverrides;
import org.mix4j.training.CaptionData.Pair;

/** objective diffusion keeps each image's VAE posterior after its first encoding. */
class LatentCacheTest extends WithRuntime {

    static final Path RED = DiffusionTrainingTest.RECIPES.resolve("data/sun-red-big-on-white.png");
    static final Path BLUE = DiffusionTrainingTest.RECIPES.resolve("data/sun-blue-small-on-black.png");

    @TempDir
    Path dir;

    private Trainer trainer(Path out) throws Exception {
        Path data = dir.resolve("two.jsonl");
        Files.writeString(data, "{\"image\": \"" + RED + "\", \"caption\": \"a big red sun\"}\n"
                + "{\"image\": \"" + BLUE + "\", \"caption\": \"a small blue sun\"}\n");
        ConfigOverrides o = new ConfigOverrides().set("training.data", data.toString(), "test")
                .unset("training.eval_data", "test").set("training.micro_batch_size", 2, "test")
                .set("training.max_steps", 4, "test");
        return trainer(DiffusionTrainingTest.RECIPE, o, out);
    }

    /** Four epochs of two pictures: the VAE encodes each picture once, and the losses are those of encoding every time. */
    @Test
    void cachedPosteriorsTrainAsFreshEncodingsDo() throws Exception {
        CausalLmTrainingTest.Log cached = new CausalLmTrainingTest.Log();
        try (Trainer t = trainer(dir.resolve("cached"))) {
            DiffusionObjective objective = (DiffusionObjective) t.objective();
            t.run(cached, () -> false, null);
            assertEquals(2, objective.latentCache().size());
            assertEquals(2, objective.latentCache().encodings());
        }
        CausalLmTrainingTest.Log fresh = new CausalLmTrainingTest.Log();
        try (Trainer t = trainer(dir.resolve("fresh"))) {
            DiffusionObjective objective = (DiffusionObjective) t.objective();
            objective.latentCacheBudget(0);
            t.run(fresh, () -> false, null);
            assertEquals(0, objective.latentCache().size());
            assertEquals(8, objective.latentCache().encodings());
        }
        assertEquals(4, fresh.losses.size());
        assertEquals(4, fresh.losses.stream().distinct().count(), "each step draws its own noise: " + fresh.losses);
        assertEquals(fresh.losses, cached.losses);
    }

    /** Past its budget the cache keeps nothing more; a kept posterior is the VAE's own, and pixels are needed for the rest. */
    @Test
    void theCacheKeepsWhatItsBudgetAllowsAndNeedsPixelsForTheRest() throws Exception {
        try (Trainer t = trainer(dir.resolve("budget")); NDManager scope = manager.newSubManager()) {
            DiffusionObjective objective = (DiffusionObjective) t.objective();
            Autoencoder vae = objective.components().vae();
            NDArray red = DiffusionObjective.pixels(List.of(DiffusionObjective.sample(new Pair("red", RED, ""),
                    objective.resolution())), scope);
            NDArray blue = DiffusionObjective.pixels(List.of(DiffusionObjective.sample(new Pair("blue", BLUE, ""),
                    objective.resolution())), scope);
            float[] redMean = vae.encode(red).mean().toFloatArray();
            float[] redStd = vae.encode(red).std().toFloatArray();
            LatentCache cache = new LatentCache(vae, 2L * redMean.length * Float.BYTES); // room for one picture
            LatentCache.Posterior both = cache.posterior(List.of(RED, BLUE), Arrays.asList(red, blue), scope);
            assertEquals(1, cache.size());
            assertTrue(cache.contains(RED));
            assertEquals(2, both.mean().getShape().get(0));
            assertArrayEquals(redMean, both.mean().get(0).toFloatArray());
            assertArrayEquals(redStd, both.std().get(0).toFloatArray());
            assertArrayEquals(vae.encode(blue).mean().toFloatArray(), both.mean().get(1).toFloatArray());

            LatentCache.Posterior again = cache.posterior(List.of(RED), Arrays.asList((NDArray) null), scope);
            assertArrayEquals(redMean, again.mean().toFloatArray());
            assertEquals(2, cache.encodings(), "the kept picture is not encoded again");
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> cache.posterior(List.of(BLUE), Arrays.asList((NDArray) null), scope));
            assertTrue(e.getMessage().contains(BLUE.toString()), e.getMessage());
        }
    }
}
