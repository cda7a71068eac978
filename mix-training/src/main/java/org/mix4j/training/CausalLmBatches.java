package org.mix4j.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.mix4j.api.RgbImage;
import org.mix4j.pipelines.understanding.ImageSplice;
import org.mix4j.training.CausalLmEncoder.Encoded;
import org.mix4j.training.ConversationData.Sample;

/**
 * The causal-LM loss of encoded samples on an understanding or text pipeline: images through its vision
 * stack, features spliced at the image tokens, the language model's logits, the summed
 * cross-entropy of the targets. Rows are right-padded, or packed side by side (MixToken).
 */
public final class CausalLmBatches {

    private final CausalLmModel model;
    private final boolean packing;

    public CausalLmBatches(CausalLmModel model, boolean packing) {
        this.model = model;
        this.packing = packing;
    }

    /** Summed cross-entropy of a micro-batch, padded or packed: a scalar in {@code scope}. */
    public NDArray lossSum(List<Encoded> rows, NDManager scope) {
        return packing ? packedLossSum(rows, scope) : paddedLossSum(rows, scope);
    }

    /** A mean loss and the target tokens it is the mean over. */
    public record Mean(double loss, long targets) {}

    /** The mean loss over every target token of {@code samples}, {@code batch} at a time, without gradients. */
    public Mean meanLoss(List<Sample> samples, CausalLmEncoder encoder, int batch, NDManager manager) {
        double sum = 0;
        long targets = 0;
        for (int from = 0; from < samples.size(); from += batch) {
            List<Encoded> micro = samples.subList(from, Math.min(samples.size(), from + batch)).stream()
                    .map(encoder::encode).toList();
            try (NDManager scope = manager.newSubManager()) {
                sum += lossSum(micro, scope).getFloat();
            }
            targets += micro.stream().mapToLong(Encoded::targets).sum();
        }
        return new Mean(sum / Math.max(1, targets), targets);
    }

    /**
     * The samples side by side in rows of at most the model's context (MixToken): no padding, each
     * sample attends only to itself and its positions start at 0. Sample boundaries need no label
     * care: a sample starts with prompt tokens, which are not targets.
     */
    private NDArray packedLossSum(List<Encoded> samples, NDManager scope) {
        int capacity = model.llm().maxPositions();
        List<List<Encoded>> rows = new ArrayList<>();
        List<Encoded> row = new ArrayList<>();
        int used = 0;
        for (Encoded e : samples) {
            if (!row.isEmpty() && used + e.ids().length > capacity) {
                rows.add(row);
                row = new ArrayList<>();
                used = 0;
            }
            row.add(e);
            used += e.ids().length;
        }
        rows.add(row);
        NDArray total = null;
        for (List<Encoded> r : rows) {
            List<RgbImage> images = new ArrayList<>();
            r.forEach(e -> images.addAll(e.images()));
            List<NDArray> features = images.isEmpty() ? List.of() : model.vision().encode(images, scope);
            int length = r.stream().mapToInt(e -> e.ids().length).sum();
            long[] ids = new long[length];
            long[] labels = new long[length];
            long[] positions = new long[length];
            long[] sequence = new long[length];
            int at = 0;
            for (int s = 0; s < r.size(); s++) {
                Encoded e = r.get(s);
                System.arraycopy(e.ids(), 0, ids, at, e.ids().length);
                System.arraycopy(e.labels(), 0, labels, at, e.labels().length);
                for (int i = 0; i < e.ids().length; i++) {
                    positions[at + i] = i;
                    sequence[at + i] = s;
                }
                at += e.ids().length;
            }
            NDArray embeds = ImageSplice.embed(model.llm(), ids, model.imageTokenId(), features, scope).expandDims(0);
            NDArray mask = LlavaForward.packedMask(scope.create(sequence, new Shape(1, length)));
            NDArray logits = model.llm().forward(embeds, scope.create(positions, new Shape(1, length)), mask, null)
                    .logits();
            NDArray sum = CausalLmLoss.sum(logits, scope.create(labels, new Shape(1, length)));
            total = total == null ? sum : total.add(sum);
        }
        return total;
    }

    private NDArray paddedLossSum(List<Encoded> rows, NDManager scope) {
        List<RgbImage> images = new ArrayList<>();
        rows.forEach(r -> images.addAll(r.images()));
        List<NDArray> features = images.isEmpty() ? List.of() : model.vision().encode(images, scope);
        int longest = rows.stream().mapToInt(r -> r.ids().length).max().orElse(0);
        NDList embeds = new NDList();
        long[] mask = new long[rows.size() * longest];
        long[] labels = new long[rows.size() * longest];
        java.util.Arrays.fill(labels, CausalLmLoss.IGNORE);
        int next = 0;
        for (int r = 0; r < rows.size(); r++) {
            Encoded row = rows.get(r);
            int n = row.images().size();
            NDArray e = ImageSplice.embed(model.llm(), row.ids(), model.imageTokenId(), features.subList(next, next + n),
                    scope); // [T, D]
            next += n;
            int t = row.ids().length;
            if (t < longest) {
                e = e.concat(scope.zeros(new Shape(longest - t, e.getShape().get(1)), e.getDataType()), 0);
            }
            embeds.add(e.expandDims(0));
            java.util.Arrays.fill(mask, r * longest, r * longest + t, 1);
            System.arraycopy(row.labels(), 0, labels, r * longest, t);
        }
        NDArray batch = embeds.size() == 1 ? embeds.get(0) : NDArrays.concat(embeds, 0);
        NDArray maskArray = scope.create(mask, new Shape(rows.size(), longest));
        NDArray logits = model.llm().forward(batch, LlavaForward.positions(maskArray), maskArray, null).logits();
        return CausalLmLoss.sum(logits, scope.create(labels, new Shape(rows.size(), longest)));
    }
}
