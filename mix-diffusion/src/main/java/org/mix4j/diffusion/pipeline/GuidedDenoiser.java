package org.mix4j.diffusion.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.HashMap;
import java.util.Map;
import org.mix4j.api.Denoiser;
import org.mix4j.api.Scheduler;
import org.mix4j.diffusion.pipeline.PromptEncoding.Conditioning;

/**
 * One guided prediction: the scheduler's input scaling, the denoiser on the unconditional and
 * conditional rows in one batch, and classifier-free guidance (Ho and Salimans 2022)
 * {@code uncond + scale * (cond - uncond)} in float32, as diffusers computes it.
 *
 * <p>Two row layouts, each the reference's: the whole latent as {@code [uncond rows; cond rows]}
 * (StableDiffusionPipeline), and MultiDiffusion's views with every row doubled in place
 * ({@code uncond, cond} per view and image, StableDiffusionPanoramaPipeline).
 */
final class GuidedDenoiser {

    private final Denoiser denoiser;
    private final Conditioning conditioning;
    private final float guidanceScale;
    private final NDManager manager;
    /** {@code [uncond; cond]}, or cond alone without guidance. */
    private final NDArray context;
    /** Per view count: the conditioning of that many views in the interleaved layout. */
    private final Map<Integer, NDArray> viewContexts = new HashMap<>();

    /** @param manager holds the concatenated conditioning for the whole loop */
    GuidedDenoiser(Denoiser denoiser, Conditioning conditioning, double guidanceScale, NDManager manager) {
        this.denoiser = denoiser;
        this.conditioning = conditioning;
        this.guidanceScale = (float) guidanceScale;
        this.manager = manager;
        this.context = conditioning.uncond() == null ? conditioning.cond()
                : inManager(conditioning.uncond().concat(conditioning.cond(), 0)); // [2N, T, D]
    }

    private boolean guided() {
        return conditioning.uncond() != null;
    }

    /** Guided prediction for the whole latent {@code [N, C, h, w]}, in the latent's manager. */
    NDArray predict(NDArray latents, Scheduler scheduler, double t) {
        NDArray input = guided() ? latents.concat(latents, 0) : latents; // [2N, C, h, w]
        input = scheduler.scaleModelInput(input, t);
        NDArray eps = denoiser.forward(input, timestep(input, t), context, null);
        if (!guided()) {
            return eps;
        }
        NDList halves = eps.split(2, 0);
        return guide(halves.get(0), halves.get(1));
    }

    /**
     * Guided prediction for {@code views} windows stacked view-major, each with the batch's
     * {@code N} images: {@code [views * N, C, h, w]}.
     */
    NDArray predictViews(NDArray windows, int views, Scheduler scheduler, double t) {
        Shape s = windows.getShape();
        NDArray input = windows;
        if (guided()) {
            NDArray pairs = NDArrays.stack(new NDList(windows, windows), 1); // [V*N, 2, C, h, w]
            input = pairs.reshape(s.get(0) * 2, s.get(1), s.get(2), s.get(3)); // rows: uncond, cond per window
        }
        input = scheduler.scaleModelInput(input, t);
        NDArray eps = denoiser.forward(input, timestep(input, t), viewContext(views), null);
        if (!guided()) {
            return eps;
        }
        NDArray pairs = eps.reshape(s.get(0), 2, s.get(1), s.get(2), s.get(3)); // [V*N, 2, C, h, w]
        return guide(pairs.get(":, 0"), pairs.get(":, 1"));
    }

    private NDArray guide(NDArray uncond, NDArray cond) {
        return uncond.add(cond.sub(uncond).mul(guidanceScale));
    }

    /** The conditioning rows matching {@link #predictViews}'s input for {@code views} views. */
    private NDArray viewContext(int views) {
        return viewContexts.computeIfAbsent(views, v -> {
            NDArray perView = conditioning.cond();
            if (guided()) {
                Shape c = conditioning.cond().getShape();
                perView = NDArrays.stack(new NDList(conditioning.uncond(), conditioning.cond()), 1)
                        .reshape(c.get(0) * 2, c.get(1), c.get(2)); // [2N, T, D]: uncond_i, cond_i
            }
            NDList copies = new NDList();
            for (int i = 0; i < v; i++) {
                copies.add(perView);
            }
            return inManager(NDArrays.concat(copies, 0)); // [V * 2N, T, D]
        });
    }

    /** The timestep as a one-element tensor: int64 for whole training steps, else float32. */
    private static NDArray timestep(NDArray like, double t) {
        NDManager m = like.getManager();
        return t == Math.rint(t) ? m.create(new long[] {(long) t}) : m.create(new float[] {(float) t});
    }

    /** Computes in a scope of the loop manager, keeping only the result there. */
    private NDArray inManager(NDArray result) {
        result.attach(manager);
        return result;
    }
}
