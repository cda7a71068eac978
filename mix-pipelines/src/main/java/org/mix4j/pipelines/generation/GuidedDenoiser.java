package org.mix4j.pipelines.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.HashMap;
import java.util.Map;
import org.mix4j.api.ControlNet;
import org.mix4j.api.Denoiser;
import org.mix4j.api.DenoiserResiduals;
import org.mix4j.api.Scheduler;
import org.mix4j.pipelines.generation.PromptEncoding.Conditioning;

/**
 * One guided prediction: the scheduler's input scaling, the ControlNet (when there is one) and the
 * denoiser on the unconditional and conditional rows in one batch, and classifier-free guidance
 * (Ho and Salimans 2022) {@code uncond + scale * (cond - uncond)} in float32, as diffusers
 * computes it.
 *
 * <p>Types: the latents stay float32 (the scheduler's arithmetic too); the denoiser and the
 * ControlNet take them in and run in their own type ({@code dtype: float16}) and the prediction is
 * widened back to float32 here, before guidance.
 *
 * <p>Two row layouts, each the reference's: the whole latent as {@code [uncond rows; cond rows]}
 * (StableDiffusionPipeline), and MultiDiffusion's views with every row doubled in place
 * ({@code uncond, cond} per view and image, StableDiffusionPanoramaPipeline).
 */
final class GuidedDenoiser {

    /**
     * The ControlNet and its input.
     *
     * @param image {@code [N, 3, H, W]} in [0, 1], one row per image
     * @param scale {@code controlnet_conditioning_scale}
     */
    record Control(ControlNet net, NDArray image, double scale) {}

    /**
     * @param noise the guided prediction
     * @param control the ControlNet's residuals, or {@code null}
     */
    record Prediction(NDArray noise, DenoiserResiduals control) {}

    private final Denoiser denoiser;
    private final Conditioning conditioning;
    private final float guidanceScale;
    private final Control control;
    private final NDManager manager;
    /** {@code [uncond; cond]}, or cond alone without guidance. */
    private final NDArray context;
    /** The control image in the layout of {@link #context}. */
    private final NDArray controlRows;
    /** Per view count: the conditioning of that many views in the interleaved layout. */
    private final Map<Integer, NDArray> viewContexts = new HashMap<>();

    /**
     * @param control the ControlNet and its image, or {@code null}
     * @param manager holds the concatenated conditioning for the whole loop
     */
    GuidedDenoiser(Denoiser denoiser, Conditioning conditioning, double guidanceScale, Control control,
            NDManager manager) {
        this.denoiser = denoiser;
        this.conditioning = conditioning;
        this.guidanceScale = (float) guidanceScale;
        this.control = control;
        this.manager = manager;
        this.context = guided() ? keep(conditioning.uncond().concat(conditioning.cond(), 0)) // [2N, T, D]
                : conditioning.cond();
        this.controlRows = control == null ? null
                : guided() ? keep(control.image().concat(control.image(), 0)) : control.image(); // [2N, 3, H, W]
    }

    private boolean guided() {
        return conditioning.uncond() != null;
    }

    /** Guided prediction for the whole latent {@code [N, C, h, w]}, in the latent's manager. */
    Prediction predict(NDArray latents, Scheduler scheduler, double t) {
        NDArray input = guided() ? latents.concat(latents, 0) : latents; // [2N, C, h, w]
        input = scheduler.scaleModelInput(input, t);
        NDArray timestep = timestep(input, t);
        DenoiserResiduals residuals = control == null ? null
                : control.net().residuals(input, timestep, context, controlRows, control.scale());
        NDArray eps = float32(denoiser.forward(input, timestep, context, residuals));
        if (!guided()) {
            return new Prediction(eps, residuals);
        }
        NDList halves = eps.split(2, 0);
        return new Prediction(guide(halves.get(0), halves.get(1)), residuals);
    }

    /**
     * Guided prediction for {@code views} windows stacked view-major, each with the batch's
     * {@code N} images: {@code [views * N, C, h, w]}.
     *
     * @param controlWindows the control image's pixels under the same windows, or {@code null}
     */
    Prediction predictViews(NDArray windows, NDArray controlWindows, int views, Scheduler scheduler, double t) {
        Shape s = windows.getShape();
        NDArray input = guided() ? doubleRows(windows) : windows; // rows: uncond, cond per window
        input = scheduler.scaleModelInput(input, t);
        NDArray timestep = timestep(input, t);
        NDArray viewContext = viewContext(views);
        DenoiserResiduals residuals = null;
        if (control != null) {
            NDArray rows = guided() ? doubleRows(controlWindows) : controlWindows;
            residuals = control.net().residuals(input, timestep, viewContext, rows, control.scale());
        }
        NDArray eps = float32(denoiser.forward(input, timestep, viewContext, residuals));
        if (!guided()) {
            return new Prediction(eps, residuals);
        }
        NDArray pairs = eps.reshape(s.get(0), 2, s.get(1), s.get(2), s.get(3)); // [V*N, 2, C, h, w]
        return new Prediction(guide(pairs.get(":, 0"), pairs.get(":, 1")), residuals);
    }

    boolean controlled() {
        return control != null;
    }

    NDArray controlImage() {
        return control.image();
    }

    private NDArray guide(NDArray uncond, NDArray cond) {
        return uncond.add(cond.sub(uncond).mul(guidanceScale));
    }

    /** A float16 prediction as float32; a float32 one unchanged (the same array). */
    private static NDArray float32(NDArray x) {
        return x.toType(DataType.FLOAT32, false);
    }

    /** {@code [R, ...]} -> {@code [2R, ...]} with each row twice in a row. */
    private static NDArray doubleRows(NDArray x) {
        Shape s = x.getShape();
        NDArray pairs = NDArrays.stack(new NDList(x, x), 1); // [R, 2, ...]
        long[] dims = s.getShape().clone();
        dims[0] *= 2;
        return pairs.reshape(new Shape(dims));
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
            return keep(NDArrays.concat(copies, 0)); // [V * 2N, T, D]
        });
    }

    /** The timestep as a one-element tensor: int64 for whole training steps, else float32. */
    private static NDArray timestep(NDArray like, double t) {
        NDManager m = like.getManager();
        return t == Math.rint(t) ? m.create(new long[] {(long) t}) : m.create(new float[] {(float) t});
    }

    /** Keeps a loop-long array in the loop's manager. */
    private NDArray keep(NDArray result) {
        result.attach(manager);
        return result;
    }
}
