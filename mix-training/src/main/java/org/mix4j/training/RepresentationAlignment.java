package org.mix4j.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.mix4j.api.RgbImage;
import org.mix4j.api.TokenGrid;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.nn.Activation;
import org.mix4j.nn.Linear;
import org.mix4j.pipelines.retrieval.RetrievalPipeline;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.pipelines.task.Tasks;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.training.TrainingSettings.AlignmentSettings;
import org.mix4j.weights.RandomWeights;

/**
 * {@code alignment:} of {@code objective: diffusion}: representation alignment (REPA; Yu et al.,
 * "Representation Alignment for Generation: Training Diffusion Transformers Is Easier Than You
 * Think", ICLR 2025). The denoiser's hidden state at the frozen image encoder's patch grid (the
 * deepest state of its down path of that size) is projected position by position by a small MLP that
 * trains beside it ({@code Linear C->P, SiLU, Linear P->P, SiLU, Linear P->D}, REPA's projector) and
 * pulled toward the encoder's patch features of the clean image: each image adds {@code weight} times
 * the negative mean cosine similarity over its patches to its loss. The projector is named
 * {@code alignment.projector.*}: it is saved in the run's state, so a resumed run goes on exactly, but
 * it is not part of the written model.
 */
final class RepresentationAlignment implements AutoCloseable {

    static final String PREFIX = "alignment.projector.";

    private final RetrievalPipeline encoder;
    private final double weight;
    private final int projectorDim;
    private final TokenGrid grid;
    private final List<Linear> layers = new ArrayList<>();
    private final UnaryOperator<NDArray> silu = Activation.of("silu", "alignment");

    /**
     * Loads the encoder of {@code settings.encoder()} (a {@code task: retrieval} pipeline YAML,
     * against {@code base}) and finds its patch grid for a {@code resolution} px training image.
     */
    RepresentationAlignment(AlignmentSettings settings, Path base, int resolution, ComponentLoader loader,
            NDManager manager) {
        Path yaml = base.resolve(settings.encoder());
        if (!Files.isRegularFile(yaml)) {
            throw new IllegalArgumentException("alignment encoder: no file " + yaml + " (a task: retrieval pipeline YAML"
                    + " whose vision tower gives the features to align with)");
        }
        PipelineConfig config = PipelineConfig.load(yaml);
        if (!config.task().equals(Tasks.RETRIEVAL.task())) {
            throw new IllegalArgumentException("alignment encoder " + yaml + ": a task: retrieval pipeline is needed (its "
                    + "encoder: and image processor), not task: " + config.task());
        }
        this.weight = settings.weight();
        this.projectorDim = settings.projectorDim();
        this.encoder = RetrievalPipeline.load(config, loader.withParallel(TensorParallel.SERIAL), manager);
        try (NDManager scope = manager.newSubManager()) {
            RgbImage blank = new RgbImage(resolution, resolution, new byte[resolution * resolution * 3]);
            NDArray pixels = encoder.imageProcessor().preprocess(List.of(blank), scope);
            this.grid = encoder.encoder().grid((int) pixels.getShape().get(2), (int) pixels.getShape().get(3));
        } catch (RuntimeException | Error e) {
            encoder.close();
            throw e;
        }
    }

    /** The encoder's patch grid: the size of the denoiser state that is aligned. */
    TokenGrid grid() {
        return grid;
    }

    /**
     * Creates the projector for a denoiser state of {@code channels} channels, drawn as {@code init:
     * random} draws (normal(0, 1/sqrt(fan in)) from {@code seed}, biases 0); returns its tensors by name.
     */
    Map<String, NDArray> projector(long channels, long seed, NDManager manager) {
        long width = encoder.encoder().hiddenSize();
        RandomWeights random = new RandomWeights(manager, DataType.FLOAT32, seed);
        Map<String, NDArray> projector = new LinkedHashMap<>();
        long[][] shapes = {{projectorDim, channels}, {projectorDim, projectorDim}, {width, projectorDim}};
        for (int i = 0; i < shapes.length; i++) {
            String name = PREFIX + (2 * i) + ".";
            NDArray w = random.get(name + "weight", new Shape(shapes[i]));
            NDArray b = random.get(name + "bias", new Shape(shapes[i][0]));
            projector.put(name + "weight", w);
            projector.put(name + "bias", b);
            layers.add(Linear.of(w, b, TensorParallel.SERIAL));
        }
        return projector;
    }

    /**
     * Each image's alignment loss, {@code weight * -mean cos(projector(h), encoder features)} over
     * its patches.
     *
     * @param hidden {@code [B, C, rows, cols]} the denoiser's state
     * @param images the clean training images, in the micro-batch's order
     * @return {@code [B]}
     */
    NDArray loss(NDArray hidden, List<RgbImage> images, NDManager scope) {
        Shape s = hidden.getShape();
        long b = s.get(0);
        NDArray target = encoder.encoder().encode(encoder.imageProcessor().preprocess(images, scope)).features();
        long tokens = (long) grid.rows() * grid.cols();
        if (target.getShape().get(1) != tokens) {
            throw new IllegalStateException("the alignment encoder gave " + target.getShape().get(1) + " features for a "
                    + grid.rows() + "x" + grid.cols() + " grid; its feature selection must keep exactly the patches");
        }
        NDArray h = hidden.toType(DataType.FLOAT32, false).transpose(0, 2, 3, 1).reshape(b, tokens, s.get(1));
        for (int i = 0; i < layers.size(); i++) {
            h = layers.get(i).forward(h);
            h = i < layers.size() - 1 ? silu.apply(h) : h;
        }
        NDArray cos = unit(h).mul(unit(target.toType(DataType.FLOAT32, false))).sum(new int[] {2}); // [B, N]
        return cos.mean(new int[] {1}).mul((float) -weight);
    }

    /** {@code x / max(|x|, 1e-12)} along the last axis, as {@code torch.nn.functional.normalize}. */
    private static NDArray unit(NDArray x) {
        return x.div(x.square().sum(new int[] {2}, true).sqrt().maximum(1e-12f));
    }

    @Override
    public void close() {
        encoder.close();
    }
}
