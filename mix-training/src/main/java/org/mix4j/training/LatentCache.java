package org.mix4j.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.mix4j.api.Autoencoder;
import org.mix4j.api.LatentDistribution;

/**
 * The frozen VAE's posterior (mean and standard deviation, float32) of each training image, kept in
 * the Java heap after the image's first encoding. Under {@code objective: diffusion} the VAE never
 * trains and an image is prepared the same way each time it is drawn (resized and center-cropped, no
 * random augmentation), so its posterior is the same on every epoch; only the sample drawn from it
 * differs. Every image is encoded alone, cached or not, so a run's numbers do not depend on what the
 * cache held: a resumed run, which starts with an empty cache, repeats the uninterrupted one.
 *
 * <p>Bounded: once the kept values reach {@code budgetBytes}, further images are encoded every time
 * they are drawn (nothing is evicted).
 */
final class LatentCache {

    /** The default budget: a quarter of the heap, at most 1 GiB (20,000 latents of 4 x 16 x 16 take 164 MB). */
    static long defaultBudget() {
        return Math.min(1L << 30, Runtime.getRuntime().maxMemory() / 4);
    }

    /** A posterior as {@code [B, C, h, w]} mean and standard deviation, float32. */
    record Posterior(NDArray mean, NDArray std) {}

    private final Autoencoder vae;
    private final long budgetBytes;
    private final Map<Path, Kept> kept = new HashMap<>();
    private Shape latentShape; // [1, C, h, w]: one image's latent
    private long bytes;
    private long encodings;

    /** One image's posterior, flattened. */
    private record Kept(float[] mean, float[] std) {}

    LatentCache(Autoencoder vae, long budgetBytes) {
        this.vae = vae;
        this.budgetBytes = budgetBytes;
    }

    /** Whether the image's posterior is kept (its pixels are then not needed). */
    boolean contains(Path image) {
        return kept.containsKey(image);
    }

    /** How many images' posteriors are kept. */
    int size() {
        return kept.size();
    }

    /** How many times the VAE has encoded an image. */
    long encodings() {
        return encodings;
    }

    /**
     * The posterior of each image, in order: kept ones from the cache, the others encoded (each alone)
     * and kept while the budget allows.
     *
     * @param images the images' files (the cache's keys)
     * @param pixels each image's {@code [1, 3, H, W]} pixels, or {@code null} for an image the cache holds
     */
    Posterior posterior(List<Path> images, List<NDArray> pixels, NDManager scope) {
        int b = images.size();
        Kept[] values = new Kept[b];
        for (int i = 0; i < b; i++) {
            Kept v = kept.get(images.get(i));
            if (v == null) {
                if (pixels.get(i) == null) {
                    throw new IllegalStateException("no pixels for " + images.get(i) + ", whose latent is not cached");
                }
                LatentDistribution d = vae.encode(pixels.get(i)); // its tensors live in the pixels' manager
                NDArray mean = d.mean().toType(DataType.FLOAT32, false);
                latentShape = mean.getShape();
                v = new Kept(mean.toFloatArray(), d.std().toType(DataType.FLOAT32, false).toFloatArray());
                encodings++;
                long size = 2L * v.mean().length * Float.BYTES;
                if (bytes + size <= budgetBytes) {
                    kept.put(images.get(i), v);
                    bytes += size;
                }
            }
            values[i] = v;
        }
        int per = values[0].mean().length;
        float[] mean = new float[b * per];
        float[] std = new float[b * per];
        for (int i = 0; i < b; i++) {
            System.arraycopy(values[i].mean(), 0, mean, i * per, per);
            System.arraycopy(values[i].std(), 0, std, i * per, per);
        }
        Shape shape = new Shape(b, latentShape.get(1), latentShape.get(2), latentShape.get(3));
        return new Posterior(scope.create(mean, shape), scope.create(std, shape));
    }
}
