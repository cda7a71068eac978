package org.mix4j.pipelines.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mix4j.api.DenoiserResiduals;
import org.mix4j.api.LatentDistribution;

/**
 * An observer that keeps copies of a run's intermediate tensors under the names the golden
 * fixtures use ({@code prompt_embeds}, {@code latents_steps}, {@code noise_preds}, ...).
 */
final class StepRecorder implements GenerationObserver {

    private final NDManager manager;
    private final Map<String, NDArray> outputs = new LinkedHashMap<>();
    private final NDList latents = new NDList();
    private final NDList noisePreds = new NDList();
    private final List<NDList> downResiduals = new ArrayList<>();
    private final NDList midResiduals = new NDList();
    private double[] schedule;
    private double[] timesteps;

    /** @param manager receives the copies */
    StepRecorder(NDManager manager) {
        this.manager = manager;
    }

    private NDArray keep(NDArray a) {
        NDArray copy = a.duplicate();
        copy.attach(manager);
        return copy;
    }

    @Override
    public void promptEmbeds(NDArray positive, NDArray negative) {
        outputs.put("prompt_embeds", keep(positive));
        if (negative != null) {
            outputs.put("negative_prompt_embeds", keep(negative));
        }
    }

    @Override
    public void timesteps(double[] schedule, double[] run) {
        this.schedule = schedule.clone();
        this.timesteps = run.clone();
    }

    @Override
    public void initImage(NDArray pixelValues, LatentDistribution posterior, NDArray initLatents) {
        outputs.put("init_image_pixel_values", keep(pixelValues));
        outputs.put("latent_dist_mean", keep(posterior.mean()));
        outputs.put("latent_dist_std", keep(posterior.std()));
        outputs.put("init_latents", keep(initLatents));
    }

    @Override
    public void controlImage(NDArray conditioning) {
        outputs.put("controlnet_cond", keep(conditioning));
    }

    @Override
    public void controlResiduals(int index, DenoiserResiduals residuals) {
        for (int k = 0; k < residuals.downBlock().size(); k++) {
            if (downResiduals.size() <= k) {
                downResiduals.add(new NDList());
            }
            downResiduals.get(k).add(keep(residuals.downBlock().get(k)));
        }
        midResiduals.add(keep(residuals.midBlock()));
    }

    @Override
    public void startLatents(NDArray start) {
        latents.add(keep(start));
    }

    @Override
    public void step(int index, double timestep, NDArray noisePred, NDArray next) {
        noisePreds.add(keep(noisePred));
        latents.add(keep(next));
    }

    double[] schedule() {
        return schedule;
    }

    double[] timesteps() {
        return timesteps;
    }

    /** Recorded tensors; the per-step ones stacked on a new leading axis. */
    Map<String, NDArray> outputs(String noisePredName) {
        Map<String, NDArray> out = new LinkedHashMap<>(outputs);
        out.put("latents_steps", NDArrays.stack(latents));
        out.put(noisePredName, NDArrays.stack(noisePreds));
        for (int k = 0; k < downResiduals.size(); k++) {
            out.put("down_block_res_sample_" + k + "_steps", NDArrays.stack(downResiduals.get(k)));
        }
        if (!midResiduals.isEmpty()) {
            out.put("mid_block_res_sample_steps", NDArrays.stack(midResiduals));
        }
        return out;
    }
}
