package org.mix4j.training;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mix4j.api.RgbImage;
import org.mix4j.api.TextEncoder;
import org.mix4j.api.Tokenizer;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.compose.ComponentSpec;
import org.mix4j.pipelines.retrieval.RetrievalPipeline;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.weights.Checkpoint;

/**
 * The held-out metrics of a retrieval model on image-caption pairs, one implementation for
 * {@code mix train} (objective {@code contrastive}) and {@code mix eval}: the symmetric InfoNCE
 * loss over the whole set as one batch, and recall@1/5 in both directions with every caption of
 * the set as a candidate. A tie with the right answer counts against it (random weights do not
 * score well by giving every candidate the same score). When every pair has a {@code "label"},
 * also {@code image_to_image_same_label@1}: how often the nearest other picture has the same label.
 */
public final class RetrievalEval {

    /** CLIP's initial temperature 0.07, as a logit scale: {@code ln(1 / 0.07)}. */
    public static final double DEFAULT_LOGIT_SCALE = Math.log(1 / 0.07);

    /** CLIP clamps {@code exp(logit_scale)} here. */
    public static final double MAX_SCALE = 100;

    /** The recall cut-offs reported. */
    public static final int[] KS = {1, 5};

    /** The image-to-image metric, reported when every pair has a label. */
    public static final String SAME_LABEL = "image_to_image_same_label@1";

    private RetrievalEval() {}

    /**
     * Embeds every pair with the pipeline and scores them.
     *
     * @param logitScale the un-exponentiated scale ({@code logit_scale})
     * @param batch pairs per forward pass
     */
    public static Map<String, Double> evaluate(RetrievalPipeline pipeline, List<CaptionData.Pair> pairs, double logitScale,
            int batch) {
        if (pairs.isEmpty()) {
            throw new IllegalArgumentException("no image-caption pairs to evaluate on");
        }
        float[][] images = new float[pairs.size()][];
        float[][] texts = new float[pairs.size()][];
        for (int from = 0; from < pairs.size(); from += batch) {
            List<CaptionData.Pair> part = pairs.subList(from, Math.min(pairs.size(), from + batch));
            List<RgbImage> decoded = new ArrayList<>();
            List<String> captions = new ArrayList<>();
            for (CaptionData.Pair p : part) {
                decoded.add(image(p));
                captions.add(p.caption());
            }
            float[][] imageRows = pipeline.embedImages(decoded);
            Tokenizer.TokenizedBatch tokens = tokenize(pipeline.tokenizer(), pipeline.textEncoder(), captions);
            float[][] textRows = pipeline.embedTokens(tokens.ids(), tokens.attentionMask());
            System.arraycopy(imageRows, 0, images, from, part.size());
            System.arraycopy(textRows, 0, texts, from, part.size());
        }
        Map<String, Double> out = metrics(images, texts, logitScale);
        if (pairs.stream().allMatch(p -> p.label() != null)) {
            double sameLabel = sameLabelAt1(images, pairs);
            if (!Double.isNaN(sameLabel)) {
                out.put(SAME_LABEL, sameLabel);
            }
        }
        return out;
    }

    /**
     * The share of distinct pictures (by path: a picture listed with several captions counts once)
     * whose nearest other picture by cosine has the same label; a tie counts against it. NaN with
     * fewer than two distinct pictures.
     */
    static double sameLabelAt1(float[][] images, List<CaptionData.Pair> pairs) {
        List<Integer> distinct = new ArrayList<>();
        Set<Path> seen = new HashSet<>();
        for (int i = 0; i < pairs.size(); i++) {
            if (seen.add(pairs.get(i).image().toAbsolutePath().normalize())) {
                distinct.add(i);
            }
        }
        if (distinct.size() < 2) {
            return Double.NaN;
        }
        int hits = 0;
        for (int a : distinct) {
            double best = Double.NEGATIVE_INFINITY;
            boolean same = false;
            for (int b : distinct) {
                if (b == a) {
                    continue;
                }
                double score = dot(images[a], images[b]);
                boolean match = pairs.get(a).label().equals(pairs.get(b).label());
                if (score > best) {
                    best = score;
                    same = match;
                } else if (score == best && !match) {
                    same = false;
                }
            }
            hits += same ? 1 : 0;
        }
        return (double) hits / distinct.size();
    }

    /**
     * {@code loss}, then {@code image_to_text_recall@K} and {@code text_to_image_recall@K} of
     * L2-normalised embeddings where image {@code i} belongs with text {@code i}.
     */
    public static Map<String, Double> metrics(float[][] images, float[][] texts, double logitScale) {
        int n = images.length;
        double scale = Math.min(Math.exp(logitScale), MAX_SCALE);
        double[][] cos = new double[n][n]; // [image][text]
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                cos[i][j] = dot(images[i], texts[j]);
            }
        }
        double imageToText = 0;
        double textToImage = 0;
        int[] rankOfText = new int[n];
        int[] rankOfImage = new int[n];
        for (int i = 0; i < n; i++) {
            double[] row = new double[n];
            double[] column = new double[n];
            for (int j = 0; j < n; j++) {
                row[j] = scale * cos[i][j];
                column[j] = scale * cos[j][i];
                if (j != i && cos[i][j] >= cos[i][i]) {
                    rankOfText[i]++;
                }
                if (j != i && cos[j][i] >= cos[i][i]) {
                    rankOfImage[i]++;
                }
            }
            imageToText += logSumExp(row) - row[i];
            textToImage += logSumExp(column) - column[i];
        }
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("loss", (imageToText + textToImage) / (2.0 * n));
        for (int k : KS) {
            out.put("image_to_text_recall@" + k, recall(rankOfText, k));
        }
        for (int k : KS) {
            out.put("text_to_image_recall@" + k, recall(rankOfImage, k));
        }
        return out;
    }

    /**
     * Token ids of captions as the retrieval pipeline writes a query: start and end tokens, cut to the
     * text tower's positions, padded to the longest.
     */
    public static Tokenizer.TokenizedBatch tokenize(Tokenizer tokenizer, TextEncoder text, List<String> captions) {
        int longest = 2;
        for (String c : captions) {
            longest = Math.max(longest, tokenizer.encode(c).length);
        }
        return tokenizer.encodeBatch(captions, Math.min(longest, text.maxPositions()));
    }

    /**
     * The {@code logit_scale} of the checkpoint the pipeline's {@code encoder} loads from (transformers'
     * CLIPModel keeps it beside the towers, under the same prefix), else {@link #DEFAULT_LOGIT_SCALE}.
     */
    public static double logitScale(PipelineConfig config) {
        ComponentSpec spec = config.component("encoder");
        if (spec == null || spec.init() == ComponentSpec.Init.RANDOM) {
            return DEFAULT_LOGIT_SCALE;
        }
        Path dir = ComponentLoader.directory(spec, config.checkpoint());
        if (dir == null) {
            return DEFAULT_LOGIT_SCALE;
        }
        String name = (spec.weightsPrefix() == null ? "" : spec.weightsPrefix()) + "logit_scale";
        try (Checkpoint checkpoint = Checkpoint.open(dir);
                ai.djl.ndarray.NDManager scope = ai.djl.ndarray.NDManager.newBaseManager()) {
            if (!checkpoint.tensors().containsKey(name)) {
                return DEFAULT_LOGIT_SCALE;
            }
            return checkpoint.weights(scope, ai.djl.ndarray.types.DataType.FLOAT32).get(name, new ai.djl.ndarray.types.Shape())
                    .getFloat();
        }
    }

    static RgbImage image(CaptionData.Pair pair) {
        return JsonRecords.image(pair.where(), pair.image());
    }

    private static double dot(float[] a, float[] b) {
        double sum = 0;
        for (int d = 0; d < a.length; d++) {
            sum += (double) a[d] * b[d];
        }
        return sum;
    }

    private static double recall(int[] ranks, int k) {
        int hits = 0;
        for (int r : ranks) {
            if (r < k) {
                hits++;
            }
        }
        return (double) hits / ranks.length;
    }

    private static double logSumExp(double[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : x) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (double v : x) {
            sum += Math.exp(v - max);
        }
        return max + Math.log(sum);
    }
}
