package org.mix4j.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.mix4j.nn.Autograd;

/**
 * CLIP's symmetric InfoNCE (Radford et al. 2021; open_clip's {@code ClipLoss}) with ALBEF's momentum
 * distillation (Li et al. 2021, "Align before Fuse"): L2-normalised embeddings, logits
 * {@code min(exp(logit_scale), 100) I T^T}, cross-entropy towards the matching pair in both
 * directions, averaged. Hard-negative captions are extra columns of the image-to-text logits only.
 * Pairs whose captions are the same text match each other too ({@link Targets}), as UniCL (Yang et
 * al. 2022) treats image-label pairs of one class. {@link #sameLabel} is the optional image-to-image
 * term: supervised contrastive learning (Khosla et al. 2020) over the pictures' labels.
 */
final class ContrastiveLoss {

    /**
     * Image-to-text logits {@code [B, B + K]} (captions, then negatives), text-to-image {@code [B, B]},
     * and the L2-normalised image embeddings they came from {@code [B, P]} (for {@link #sameLabel};
     * {@code null} where not kept).
     */
    record Logits(NDArray imageToText, NDArray textToImage, NDArray images) {

        Logits(NDArray imageToText, NDArray textToImage) {
            this(imageToText, textToImage, null);
        }

        /** The same values cut from the graph (a teacher's). */
        Logits detached() {
            return new Logits(imageToText.stopGradient(), textToImage.stopGradient(),
                    images == null ? null : images.stopGradient());
        }
    }

    /**
     * What each row is pulled towards: image-to-text {@code [B, B + K]}, text-to-image {@code [B, B]}.
     * A row spreads 1 evenly over the pairs of the micro-batch whose caption is the same text as its
     * own: short captions ("a red star") repeat through a batch, and a copy of a pair's own caption
     * counted as its negative would push apart what the data calls the same, and would keep the loss
     * from ever learning a caption that all of a batch shares. Altered captions never equal a caption
     * of the micro-batch ({@link HardNegatives#of}), so their columns are 0.
     */
    record Targets(NDArray imageToText, NDArray textToImage) {

        static Targets of(List<String> captions, int negatives, NDManager scope) {
            int b = captions.size();
            Map<String, Integer> copies = new HashMap<>();
            captions.forEach(c -> copies.merge(c, 1, Integer::sum));
            float[] same = new float[b * b];
            for (int row = 0; row < b; row++) {
                for (int col = 0; col < b; col++) {
                    same[row * b + col] = captions.get(row).equals(captions.get(col)) ? 1f / copies.get(captions.get(row)) : 0f;
                }
            }
            NDArray textToImage = scope.create(same, new Shape(b, b));
            NDArray imageToText = negatives == 0 ? textToImage
                    : textToImage.concat(scope.zeros(new Shape(b, negatives), DataType.FLOAT32), 1);
            return new Targets(imageToText, textToImage);
        }
    }

    private ContrastiveLoss() {}

    /** {@code exp(logit_scale)} clamped at {@value RetrievalEval#MAX_SCALE}, as CLIP clamps it. */
    static NDArray scale(NDArray logitScale, NDManager scope) {
        NDArray max = scope.full(new Shape(), (float) RetrievalEval.MAX_SCALE, logitScale.getDataType());
        return logitScale.exp().minimum(max);
    }

    /**
     * @param images image embeddings {@code [B, P]}, not yet normalised
     * @param texts their captions' embeddings {@code [B, P]}
     * @param negatives embeddings of altered captions {@code [K, P]}, or {@code null}
     * @param scale {@link #scale} (0-d)
     */
    static Logits logits(NDArray images, NDArray texts, NDArray negatives, NDArray scale) {
        NDArray i = normalize(images); // [B, P]
        NDArray t = normalize(texts); // [B, P]
        NDArray columns = negatives == null ? t : t.concat(normalize(negatives), 0); // [B + K, P]
        NDArray imageToText = i.matMul(columns.transpose()).mul(scale); // [B, B + K]
        NDArray textToImage = t.matMul(i.transpose()).mul(scale); // [B, B]
        return new Logits(imageToText, textToImage, i);
    }

    /**
     * The supervised contrastive loss ({@code L_out} of Khosla et al. 2020) of a micro-batch's
     * pictures: for each picture with at least one other of its label, the mean over those others of
     * {@code -log softmax(cosines / temperature)}, the softmax over every other picture of the batch
     * (itself left out); the mean over those pictures. Pictures without a label ({@code null}) are
     * candidates of the others but no one's match.
     *
     * @param images {@link Logits#images}, L2-normalised {@code [B, P]}
     * @return the 0-d loss, or {@code null} when no picture has another of its label in the batch
     */
    static NDArray sameLabel(NDArray images, List<String> labels, double temperature, NDManager scope) {
        int b = labels.size();
        float[] targets = new float[b * b];
        float[] self = new float[b * b];
        int anchors = 0;
        for (int row = 0; row < b; row++) {
            self[row * b + row] = -1e9f; // out of the softmax: exp underflows to 0
            String label = labels.get(row);
            int matches = 0;
            for (int col = 0; col < b; col++) {
                matches += col != row && label != null && label.equals(labels.get(col)) ? 1 : 0;
            }
            if (matches == 0) {
                continue;
            }
            anchors++;
            for (int col = 0; col < b; col++) {
                targets[row * b + col] = col != row && label.equals(labels.get(col)) ? 1f / matches : 0f;
            }
        }
        if (anchors == 0) {
            return null;
        }
        NDArray cosines = images.matMul(images.transpose()); // [B, B]
        NDArray mask = scope.create(self, new Shape(b, b)).toType(cosines.getDataType(), false);
        NDArray logits = times(cosines, 1 / temperature, scope).add(mask);
        NDArray logp = logits.logSoftmax(1); // [B, B]
        NDArray matches = scope.create(targets, new Shape(b, b)).toType(logp.getDataType(), false);
        return times(logp.mul(matches).sum().neg(), 1.0 / anchors, scope);
    }

    /**
     * The mean loss: per direction {@code (1 - alpha) CE(targets) + alpha CE(softmax(teacher))}, then
     * the mean of the two directions.
     *
     * @param teacher the teacher's logits (no gradient), or {@code null} for plain InfoNCE
     */
    static NDArray mean(Logits student, Logits teacher, double alpha, Targets targets, NDManager scope) {
        NDArray imageToText = direction(student.imageToText(), teacher == null ? null : teacher.imageToText(), alpha,
                targets.imageToText(), scope);
        NDArray textToImage = direction(student.textToImage(), teacher == null ? null : teacher.textToImage(), alpha,
                targets.textToImage(), scope);
        return times(imageToText.add(textToImage), 0.5, scope);
    }

    /** Cross-entropy of {@code logits [B, C]} towards {@code matches [B, C]}, mixed with soft targets. */
    private static NDArray direction(NDArray logits, NDArray teacher, double alpha, NDArray matches, NDManager scope) {
        long rows = logits.getShape().get(0);
        NDArray logp = logits.logSoftmax(1); // [B, C]
        NDArray hard = matches.toType(logp.getDataType(), false); // [B, C]
        NDArray targets = teacher == null || alpha == 0 ? hard
                : times(hard, 1 - alpha, scope).add(times(teacher.softmax(1), alpha, scope));
        return times(logp.mul(targets).sum().neg(), 1.0 / rows, scope);
    }

    private static NDArray normalize(NDArray x) {
        return x.div(x.square().sum(new int[] {1}, true).sqrt()); // [N, P]
    }

    /**
     * {@code a * value} through a native 0-d array of {@code a}'s type: a Java number would make a
     * float64 result of a 0-d float32 {@code a}, and under autograd a freed buffer ({@link Autograd}).
     */
    static NDArray times(NDArray a, double value, NDManager scope) {
        return a.mul(scope.full(new Shape(), (float) value, a.getDataType()));
    }

    /** A 0-d float32 tensor of {@code value}. */
    static NDArray scalar(NDManager manager, double value) {
        return manager.full(new Shape(), (float) value, DataType.FLOAT32);
    }
}
