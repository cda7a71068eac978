package org.mix4j.pipelines.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.mix4j.api.NoiseSource;
import org.mix4j.api.ProgressListener;
import org.mix4j.api.Scheduler;
import org.mix4j.pipelines.generation.MultiDiffusionViews.View;
import org.mix4j.pipelines.task.DiffusionSettings.DenoiseTiling;

/**
 * The denoising loop: per timestep a guided prediction and a scheduler step, over the whole latent
 * or, with MultiDiffusion, over overlapping windows whose results are averaged. Every step runs in
 * its own child manager: the previous latents and all temporaries are freed when it closes, so the
 * loop's native memory does not grow with the number of steps.
 */
final class DenoisingLoop {

    private final GuidedDenoiser model;
    private final Scheduler scheduler;
    private final NoiseSource stepNoise;
    private final GenerationObserver observer;
    private final ProgressListener progress;

    DenoisingLoop(GuidedDenoiser model, Scheduler scheduler, NoiseSource stepNoise, GenerationObserver observer,
            ProgressListener progress) {
        this.model = model;
        this.scheduler = scheduler;
        this.stepNoise = stepNoise;
        this.observer = observer;
        this.progress = progress;
    }

    /**
     * Runs {@code timesteps} from {@code start} (consumed: it is freed by the first step).
     *
     * @param tiling MultiDiffusion windows, or {@code null}
     * @return the final latents, attached to {@code manager}
     */
    NDArray run(NDArray start, double[] timesteps, DenoiseTiling tiling, NDManager manager) {
        progress.start("denoising", timesteps.length);
        try {
            return tiling == null ? plain(start, timesteps, manager) : multiDiffusion(start, timesteps, tiling, manager);
        } finally {
            progress.finish();
        }
    }

    private NDArray plain(NDArray latents, double[] timesteps, NDManager manager) {
        for (int i = 0; i < timesteps.length; i++) {
            double t = timesteps[i];
            try (NDManager step = manager.newSubManager()) {
                latents.attach(step); // the previous latents die with this step
                GuidedDenoiser.Prediction p = model.predict(latents, scheduler, t);
                if (p.control() != null) {
                    observer.controlResiduals(i, p.control());
                }
                NDArray next = scheduler.step(p.noise(), t, latents, stepNoise).prevSample();
                observer.step(i, t, p.noise(), next);
                next.attach(manager);
                latents = next;
            }
            progress.advance(1);
        }
        return latents;
    }

    /**
     * MultiDiffusion: each batch of views keeps its own scheduler (multistep samplers carry state
     * per window); every view's step result is summed into its window and the sum divided by the
     * number of views covering each position.
     */
    private NDArray multiDiffusion(NDArray latents, double[] timesteps, DenoiseTiling tiling, NDManager manager) {
        int factor = model.controlled() ? (int) (model.controlImage().getShape().get(3) / latents.getShape().get(3)) : 1;
        Shape shape = latents.getShape();
        int height = (int) shape.get(2);
        int width = (int) shape.get(3);
        List<View> views = MultiDiffusionViews.plan(height, width, tiling.window(), tiling.stride(), tiling.circular());
        List<List<View>> batches = new ArrayList<>();
        for (int i = 0; i < views.size(); i += tiling.viewBatchSize()) {
            batches.add(views.subList(i, Math.min(i + tiling.viewBatchSize(), views.size())));
        }
        List<Scheduler> schedulers = new ArrayList<>();
        batches.forEach(b -> schedulers.add(scheduler.copy()));
        NDArray count = manager.create(MultiDiffusionViews.counts(views, height, width), new Shape(1, 1, height, width));
        for (int i = 0; i < timesteps.length; i++) {
            double t = timesteps[i];
            try (NDManager step = manager.newSubManager()) {
                latents.attach(step);
                NDArray value = step.zeros(shape, latents.getDataType());
                NDList predictions = new NDList();
                for (int j = 0; j < batches.size(); j++) {
                    List<View> batch = batches.get(j);
                    NDList windows = new NDList();
                    NDList controlWindows = new NDList();
                    for (View v : batch) {
                        windows.add(crop(latents, v, width, 1));
                        if (model.controlled()) {
                            controlWindows.add(crop(model.controlImage(), v, width, factor));
                        }
                    }
                    NDArray x = NDArrays.concat(windows, 0); // [views * N, C, h, w], view-major
                    NDArray control = model.controlled() ? NDArrays.concat(controlWindows, 0) : null;
                    GuidedDenoiser.Prediction p = model.predictViews(x, control, batch.size(), schedulers.get(j), t);
                    NDArray eps = p.noise();
                    NDArray denoised = schedulers.get(j).step(eps, t, x, stepNoise).prevSample();
                    NDList perView = denoised.split(batch.size(), 0);
                    for (int k = 0; k < batch.size(); k++) {
                        accumulate(value, perView.get(k), batch.get(k), width);
                    }
                    predictions.add(eps);
                }
                NDArray next = value.div(count);
                observer.step(i, t, NDArrays.concat(predictions, 0), next);
                next.attach(manager);
                latents = next;
            }
            progress.advance(1);
        }
        count.close();
        return latents;
    }

    /**
     * The part of {@code x} under one view, {@code [N, C, h * f, w * f]} for a tensor {@code f} times
     * the latent's size (1 for the latents, the VAE factor for a control image); columns past the
     * right edge wrap to column 0.
     */
    private static NDArray crop(NDArray x, View v, int width, int f) {
        int h0 = v.hStart() * f;
        int h1 = v.hEnd() * f;
        if (v.wEnd() <= width) {
            return x.get(new NDIndex(":, :, {}:{}, {}:{}", h0, h1, v.wStart() * f, v.wEnd() * f));
        }
        NDArray right = x.get(new NDIndex(":, :, {}:{}, {}:", h0, h1, v.wStart() * f));
        NDArray left = x.get(new NDIndex(":, :, {}:{}, :{}", h0, h1, (v.wEnd() - width) * f));
        return right.concat(left, 3);
    }

    /** {@code value[window] += denoised}, in two parts for a view that wraps round. */
    private static void accumulate(NDArray value, NDArray denoised, View v, int width) {
        if (v.wEnd() <= width) {
            addInto(value, new NDIndex(":, :, {}:{}, {}:{}", v.hStart(), v.hEnd(), v.wStart(), v.wEnd()), denoised);
            return;
        }
        int split = width - v.wStart();
        addInto(value, new NDIndex(":, :, {}:{}, {}:", v.hStart(), v.hEnd(), v.wStart()),
                denoised.get(new NDIndex(":, :, :, :{}", split)));
        addInto(value, new NDIndex(":, :, {}:{}, :{}", v.hStart(), v.hEnd(), v.wEnd() - width),
                denoised.get(new NDIndex(":, :, :, {}:", split)));
    }

    private static void addInto(NDArray target, NDIndex index, NDArray addend) {
        target.set(index, target.get(index).add(addend));
    }
}
