package org.mix4j.encoders.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.Map;
import org.mix4j.api.Component;
import org.mix4j.api.EncoderOutput;
import org.mix4j.api.Role;
import org.mix4j.api.TextEncoder;
import org.mix4j.api.VisionEncoder;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.weights.Checkpoint;
import org.mix4j.weights.CheckpointWeights;

/**
 * transformers' {@code CLIPModel} for retrieval: the two towers, loaded as {@code clip_vision} and
 * {@code clip_text} components from one checkpoint, plus its {@code logit_scale}. Similarities are
 * {@code exp(logit_scale)} times the cosine of the projected embeddings.
 */
public final class ClipModel implements Component {

    /** {@code logitsPerImage [I, T]}, {@code logitsPerText [T, I]}, L2-normalised embeds. */
    public record Output(NDArray logitsPerImage, NDArray logitsPerText, NDArray imageEmbeds, NDArray textEmbeds) {}

    private final VisionEncoder vision;
    private final TextEncoder text;
    private final NDManager manager;
    private final NDArray logitScaleExp; // scalar

    private ClipModel(VisionEncoder vision, TextEncoder text, NDManager manager, NDArray logitScaleExp) {
        this.vision = vision;
        this.text = text;
        this.manager = manager;
        this.logitScaleExp = logitScaleExp;
    }

    /**
     * Loads a CLIPModel checkpoint.
     *
     * @param overrides keys for both towers as a YAML section would give them ({@code weights},
     *     {@code config}, {@code weights_prefix}, ...); {@code logit_scale} is read from the same
     *     weights under the same prefix
     */
    public static ClipModel load(ComponentLoader loader, Path directory, Map<String, ?> overrides, NDManager manager,
            DataType dtype) {
        NDManager owned = manager.newSubManager();
        VisionEncoder vision = null;
        TextEncoder text = null;
        try {
            vision = loader.load("clip_vision", Role.VISION_ENCODER, directory, overrides, owned, dtype);
            text = loader.load("clip_text", Role.TEXT_ENCODER, directory, overrides, owned, dtype);
            Object weights = overrides.get("weights");
            Object prefix = overrides.get("weights_prefix");
            Path location = weights == null ? directory : directory.resolve(String.valueOf(weights));
            try (Checkpoint checkpoint = Checkpoint.open(location)) {
                CheckpointWeights all = checkpoint.weights(owned, dtype);
                var view = prefix == null ? all : all.child(String.valueOf(prefix));
                NDArray scale = view.get("logit_scale", new Shape());
                view.report().throwIfMissing();
                return new ClipModel(vision, text, owned, scale.exp());
            }
        } catch (RuntimeException | Error e) {
            closeQuietly(vision);
            closeQuietly(text);
            owned.close();
            throw e;
        }
    }

    /** L2-normalised {@code image_embeds [B, P]} of preprocessed images. */
    public NDArray imageEmbeds(NDArray pixelValues) {
        NDManager caller = pixelValues.getManager();
        try (NDManager scope = caller.newSubManager()) {
            pixelValues.tempAttach(scope);
            NDArray embeds = normalize(require(vision.encode(pixelValues), "visual_projection"));
            embeds.attach(caller);
            return embeds;
        }
    }

    /** L2-normalised {@code text_embeds [B, P]}. */
    public NDArray textEmbeds(NDArray inputIds, NDArray attentionMask) {
        NDManager caller = inputIds.getManager();
        try (NDManager scope = caller.newSubManager()) {
            inputIds.tempAttach(scope);
            NDArray embeds = normalize(require(text.encode(inputIds, attentionMask), "text_projection"));
            embeds.attach(caller);
            return embeds;
        }
    }

    /** Scaled cosine similarities of normalised embeddings, in {@code textEmbeds}' manager. */
    public Output similarity(NDArray imageEmbeds, NDArray textEmbeds) {
        NDArray logitsPerText = textEmbeds.matMul(imageEmbeds.transpose()).mul(logitScaleExp); // [T, I]
        return new Output(logitsPerText.transpose(), logitsPerText, imageEmbeds, textEmbeds);
    }

    /** What {@code CLIPModel(input_ids, attention_mask, pixel_values)} returns. */
    public Output forward(NDArray pixelValues, NDArray inputIds, NDArray attentionMask) {
        return similarity(imageEmbeds(pixelValues), textEmbeds(inputIds, attentionMask));
    }

    public VisionEncoder vision() {
        return vision;
    }

    public TextEncoder text() {
        return text;
    }

    private static NDArray require(EncoderOutput out, String tensor) {
        if (out.embeds() == null) {
            throw new IllegalStateException("the checkpoint has no '" + tensor + ".weight', so CLIP similarities "
                    + "cannot be computed; load a CLIPModel or *WithProjection checkpoint");
        }
        return out.embeds();
    }

    private static NDArray normalize(NDArray x) {
        int last = x.getShape().dimension() - 1;
        return x.div(x.square().sum(new int[] {last}, true).sqrt());
    }

    private static void closeQuietly(Component c) {
        if (c != null) {
            c.close();
        }
    }

    @Override
    public void close() {
        vision.close();
        text.close();
        manager.close();
    }
}
