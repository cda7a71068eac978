package org.mix4j.connectors.flamingo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.api.Connector;
import org.mix4j.api.TokenGrid;
import org.mix4j.config.ConfigException;
import org.mix4j.connectors.ConnectorTestSupport;
import org.mix4j.connectors.RawTensors;
import org.mix4j.connectors.RawTensors.Tensor;
import org.mix4j.connectors.Reference;

/**
 * The Flamingo resampler has no golden fixture: a tiny checkpoint in OpenFlamingo's layout is run
 * against a float64 forward written here from flamingo-pytorch's equations.
 */
class FlamingoResamplerTest extends ConnectorTestSupport {

    private static final int DIM = 8;
    private static final int HEADS = 2;
    private static final int DIM_HEAD = 4;
    private static final int LATENTS = 3;
    private static final int MEDIA = 2;
    private static final double EPS = 1e-5;

    @TempDir
    static Path tmp;

    private final Map<String, Tensor> tensors = new LinkedHashMap<>();
    private final Random random = new Random(11);

    private Tensor put(String name, long... shape) {
        int n = 1;
        for (long d : shape) {
            n *= (int) d;
        }
        double[] v = new double[n];
        boolean normWeight = name.endsWith("weight") && shape.length == 1;
        for (int i = 0; i < n; i++) {
            v[i] = (float) (normWeight ? 1 + 0.1 * random.nextGaussian()
                    : random.nextGaussian() / Math.sqrt(shape[shape.length - 1]));
        }
        Tensor t = new Tensor(shape, v);
        tensors.put(name, t);
        return t;
    }

    @Test
    void matchesFloat64ReferenceOfTheFlamingoEquations() throws Exception {
        int inner = HEADS * DIM_HEAD;
        put("latents", LATENTS, DIM);
        put("media_time_embs", MEDIA, 1, DIM);
        put("layers.0.0.norm_media.weight", DIM);
        put("layers.0.0.norm_media.bias", DIM);
        put("layers.0.0.norm_latents.weight", DIM);
        put("layers.0.0.norm_latents.bias", DIM);
        put("layers.0.0.to_q.weight", inner, DIM);
        put("layers.0.0.to_kv.weight", 2 * inner, DIM);
        put("layers.0.0.to_out.weight", DIM, inner);
        put("layers.0.1.0.weight", DIM);
        put("layers.0.1.0.bias", DIM);
        put("layers.0.1.1.weight", 4 * DIM, DIM);
        put("layers.0.1.3.weight", DIM, 4 * DIM);
        put("norm.weight", DIM);
        put("norm.bias", DIM);
        Path dir = Files.createTempDirectory(tmp, "flamingo");
        RawTensors.write(dir.resolve("model.safetensors"), tensors);

        int tokens = 5;
        double[][] x = new double[tokens][DIM];
        for (double[] row : x) {
            for (int c = 0; c < DIM; c++) {
                row[c] = (float) random.nextGaussian();
            }
        }
        double[][] expected = reference(x);
        Map<String, Object> yaml = Map.of("hidden_size", DIM, "depth", 1, "heads", HEADS, "dim_head", DIM_HEAD,
                "num_latents", LATENTS, "max_num_media", MEDIA);
        try (Connector c = load("perceiver_resampler_flamingo", dir, yaml)) {
            float[] flat = new float[tokens * DIM];
            for (int t = 0; t < tokens; t++) {
                for (int d = 0; d < DIM; d++) {
                    flat[t * DIM + d] = (float) x[t][d];
                }
            }
            NDArray out = c.project(manager.create(flat, new Shape(1, tokens, DIM)), null, new TokenGrid(1, tokens, 0));
            assertEquals(new Shape(1, LATENTS, DIM), out.getShape());
            double err = Reference.maxAbsDiff(expected, out.toFloatArray());
            assertTrue(err < 1e-5, "max |err| " + err);
        }
    }

    /** flamingo-pytorch PerceiverResampler.forward for one image (T = F = 1), depth 1. */
    private double[][] reference(double[][] x) {
        double[] media = tensors.get("media_time_embs").values(); // first entry: [1, DIM]
        double[][] xs = new double[x.length][DIM];
        for (int t = 0; t < x.length; t++) {
            for (int d = 0; d < DIM; d++) {
                xs[t][d] = x[t][d] + media[d];
            }
        }
        double[][] lat = Reference.rows(tensors.get("latents").values(), LATENTS, DIM);
        // attention
        double[][] xn = layerNorm(xs, "layers.0.0.norm_media");
        double[][] ln = layerNorm(lat, "layers.0.0.norm_latents");
        double[][] q = Reference.linear(ln, tensors.get("layers.0.0.to_q.weight"), null);
        double[][] kvIn = new double[xn.length + ln.length][];
        System.arraycopy(xn, 0, kvIn, 0, xn.length);
        System.arraycopy(ln, 0, kvIn, xn.length, ln.length);
        double[][] kv = Reference.linear(kvIn, tensors.get("layers.0.0.to_kv.weight"), null);
        int inner = HEADS * DIM_HEAD;
        double[][] attended = new double[LATENTS][inner];
        for (int h = 0; h < HEADS; h++) {
            for (int i = 0; i < LATENTS; i++) {
                double[] sim = new double[kv.length];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < kv.length; j++) {
                    double s = 0;
                    for (int d = 0; d < DIM_HEAD; d++) {
                        // k is the first half of to_kv's output
                        s += q[i][h * DIM_HEAD + d] * Math.pow(DIM_HEAD, -0.5) * kv[j][h * DIM_HEAD + d];
                    }
                    sim[j] = s;
                    max = Math.max(max, s);
                }
                double sum = 0;
                for (int j = 0; j < kv.length; j++) {
                    sim[j] = Math.exp(sim[j] - max);
                    sum += sim[j];
                }
                for (int j = 0; j < kv.length; j++) {
                    for (int d = 0; d < DIM_HEAD; d++) {
                        // v is the second half
                        attended[i][h * DIM_HEAD + d] += sim[j] / sum * kv[j][inner + h * DIM_HEAD + d];
                    }
                }
            }
        }
        double[][] attnOut = Reference.linear(attended, tensors.get("layers.0.0.to_out.weight"), null);
        double[][] h1 = add(attnOut, lat);
        // feed-forward
        double[][] ff = Reference.linear(Reference.map(Reference.linear(layerNorm(h1, "layers.0.1.0"),
                tensors.get("layers.0.1.1.weight"), null), Reference::gelu), tensors.get("layers.0.1.3.weight"), null);
        return layerNorm(add(ff, h1), "norm");
    }

    private double[][] layerNorm(double[][] x, String name) {
        double[] w = tensors.get(name + ".weight").values();
        double[] b = tensors.get(name + ".bias").values();
        double[][] y = new double[x.length][x[0].length];
        for (int r = 0; r < x.length; r++) {
            double mean = java.util.Arrays.stream(x[r]).average().orElseThrow();
            double var = 0;
            for (double v : x[r]) {
                var += (v - mean) * (v - mean);
            }
            var /= x[r].length;
            for (int c = 0; c < x[r].length; c++) {
                y[r][c] = (x[r][c] - mean) / Math.sqrt(var + EPS) * w[c] + b[c];
            }
        }
        return y;
    }

    private static double[][] add(double[][] a, double[][] b) {
        double[][] y = new double[a.length][a[0].length];
        for (int r = 0; r < a.length; r++) {
            for (int c = 0; c < a[r].length; c++) {
                y[r][c] = a[r][c] + b[r][c];
            }
        }
        return y;
    }

    @Test
    void maskedFeatureTokensDoNotChangeTheOutput() {
        Map<String, Object> yaml = Map.of("init", "random", "seed", 5, "hidden_size", 8, "depth", 2, "heads", 2,
                "dim_head", 4, "num_latents", 3);
        try (Connector c = load("perceiver_resampler_flamingo", null, yaml)) {
            NDArray features = manager.randomNormal(new Shape(2, 6, 8));
            NDArray mask = manager.create(new long[] {1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1}, new Shape(2, 6));
            NDArray changed = features.duplicate();
            changed.set(new NDIndex("0, 4:, :"), -30f);
            TokenGrid grid = new TokenGrid(2, 3, 0);
            assertArrayEquals(c.project(features, mask, grid).toFloatArray(),
                    c.project(changed, mask, grid).toFloatArray(), 1e-6f);
            assertArrayEquals(c.project(features, manager.ones(new Shape(2, 6)), grid).toFloatArray(),
                    c.project(features, null, grid).toFloatArray(), 1e-6f);
        }
    }

    @Test
    void hiddenSizeIsRequired() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> load("perceiver_resampler_flamingo", null, Map.of("init", "random")));
        assertTrue(e.getMessage().contains("hidden_size"), e.getMessage());
    }
}
