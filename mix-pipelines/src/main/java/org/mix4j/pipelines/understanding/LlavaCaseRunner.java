package org.mix4j.pipelines.understanding;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mix4j.api.Connector;
import org.mix4j.api.ImageProcessor;
import org.mix4j.api.LanguageModel;
import org.mix4j.api.RgbImage;
import org.mix4j.api.Role;
import org.mix4j.api.TileLayout;
import org.mix4j.api.Tiler;
import org.mix4j.api.VisionEncoder;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.config.JsonConfig;
import org.mix4j.golden.CaseRunner;
import org.mix4j.golden.GoldenCase;
import org.mix4j.pipelines.decoding.DecodeResult;
import org.mix4j.pipelines.decoding.DecodingLoop;
import org.mix4j.pipelines.task.DecodingSettings;
import org.mix4j.tiling.NoTiler;
import org.pf4j.Extension;

/**
 * Golden cases of LlavaForConditionalGeneration ({@code llava}) and LLaVA-NeXT anyres tiling
 * ({@code llava_next_tiling}), run with the understanding pipeline's parts: the components the
 * LLaVA preset names, {@link VisionStack}, {@link ImageSplice} and the {@link DecodingLoop}.
 */
@Extension
public final class LlavaCaseRunner implements CaseRunner {

    private final ComponentLoader loader;
    private final String quantize;

    @Inject
    public LlavaCaseRunner(ComponentLoader loader) {
        this(loader, "none");
    }

    /** Runs the cases with every component loaded under {@code quantize: <quantize>} (how the int8 and fp16 paths are checked against the references). */
    public LlavaCaseRunner(ComponentLoader loader, String quantize) {
        this.loader = loader;
        this.quantize = quantize;
    }

    private Map<String, Object> section(String... keyValues) {
        return org.mix4j.compose.Quantize.section(quantize, keyValues);
    }

    @Override
    public Set<String> kinds() {
        return Set.of("llava", "llava_next_tiling");
    }

    @Override
    public Map<String, NDArray> run(GoldenCase c, NDManager m) {
        JsonObject config = c.config();
        JsonObject vision = JsonConfig.child(config, "vision_config");
        JsonObject text = JsonConfig.child(config, "text_config");
        String encoderType = vision != null && vision.has("model_type")
                && vision.get("model_type").getAsString().startsWith("siglip") ? "siglip_vision" : "clip_vision";
        String llmType = text != null && text.has("model_type") ? text.get("model_type").getAsString() : "llama";
        long imageToken = c.json().has("image_token_index") ? c.json().get("image_token_index").getAsLong()
                : config.get("image_token_index").getAsLong();
        Map<String, NDArray> out = new LinkedHashMap<>();
        try (VisionEncoder encoder = loader.load(encoderType, Role.VISION_ENCODER, c.dir(),
                        section("weights_prefix", "vision_tower."), m, DataType.FLOAT32);
                Connector connector = loader.load("mlp", Role.CONNECTOR, c.dir(),
                        section("weights_prefix", "multi_modal_projector."), m, DataType.FLOAT32);
                LanguageModel llm = loader.load(llmType, Role.LANGUAGE_MODEL, c.dir(),
                        section("weights_prefix", "language_model."), m, DataType.FLOAT32)) {
            if (c.kind().equals("llava")) {
                VisionStack stack = new VisionStack(null, new NoTiler(), encoder, null, null, connector, 8);
                NDArray features = stack.project(c.tensor("pixel_values", m), null, m); // [images, M, D]
                out.put("image_features", features);
                List<NDArray> perImage = new ArrayList<>();
                for (int i = 0; i < features.getShape().get(0); i++) {
                    perImage.add(features.get(i));
                }
                model(c, llm, imageToken, perImage, out, m);
            } else {
                ImageProcessor processor = loader.load("hf_image_processor", Role.IMAGE_PROCESSOR, c.dir(), Map.of(), m,
                        DataType.FLOAT32);
                Tiler tiler = loader.load("anyres", Role.TILER, c.dir(), Map.of(), m, DataType.FLOAT32); // with image_newline
                NDArray newline = tiler.newline().orElseThrow();
                VisionStack stack = new VisionStack(processor, tiler, encoder, null, null, connector, 8);
                processorOutputs(c, processor, tiler, out, m);
                NDArray sizes = c.tensor("image_sizes", m);
                NDArray pixels = c.tensor("pixel_values", m);
                List<NDArray> packed = new ArrayList<>();
                for (int i = 0; i < sizes.getShape().get(0); i++) {
                    long[] hw = sizes.get(i).toLongArray();
                    TileLayout layout = tiler.plan((int) hw[1], (int) hw[0]);
                    NDArray tiles = pixels.get(i).get(new NDIndex("0:{}", layout.tileCount()));
                    NDArray projected = stack.project(tiles, null, m);
                    packed.add(tiler.merge(projected, layout, stack.projectedGrid(), newline));
                }
                out.put("packed_image_features", packed.get(0));
                model(c, llm, imageToken, packed, out, m);
            }
        }
        return out;
    }

    /** The processor half of LLaVA-NeXT: every image tiled and normalised, padded to the longest. */
    private static void processorOutputs(GoldenCase c, ImageProcessor processor, Tiler tiler, Map<String, NDArray> out,
            NDManager m) {
        List<NDArray> perImage = new ArrayList<>();
        List<Long> sizes = new ArrayList<>();
        for (int i = 0; c.hasTensor("image_" + i); i++) {
            NDArray hwc = c.tensor("image_" + i, m);
            long[] s = hwc.getShape().getShape();
            RgbImage image = new RgbImage((int) s[1], (int) s[0], hwc.toByteArray());
            perImage.add(processor.preprocess(tiler.split(image), m));
            sizes.add(s[0]);
            sizes.add(s[1]);
        }
        long most = perImage.stream().mapToLong(p -> p.getShape().get(0)).max().orElse(0);
        NDList padded = new NDList();
        for (NDArray p : perImage) {
            Shape tile = p.getShape().slice(1);
            NDArray full = p.getShape().get(0) == most ? p
                    : p.concat(m.zeros(new Shape(most - p.getShape().get(0)).addAll(tile), p.getDataType()), 0);
            padded.add(full.expandDims(0));
        }
        out.put("pixel_values_all", NDArrays.concat(padded, 0));
        out.put("image_sizes_all", m.create(sizes.stream().mapToLong(Long::longValue).toArray(),
                new Shape(perImage.size(), 2)));
    }

    /** Logits of the given rows and, when asked, greedy generation from the case's input rows. */
    private static void model(GoldenCase c, LanguageModel llm, long imageToken, List<NDArray> features,
            Map<String, NDArray> out, NDManager m) {
        NDArray ids = c.tensor("input_ids", m);
        NDArray mask = c.tensor("attention_mask", m);
        int rows = (int) ids.getShape().get(0);
        long[][] idRows = new long[rows][];
        List<NDArray> embeds = new ArrayList<>();
        int next = 0;
        for (int r = 0; r < rows; r++) {
            idRows[r] = ids.get(r).toLongArray();
            long images = java.util.Arrays.stream(idRows[r]).filter(t -> t == imageToken).count();
            List<NDArray> mine = new ArrayList<>();
            for (long placed = 0; placed < images; next++) {
                mine.add(features.get(next));
                placed += features.get(next).getShape().get(0);
            }
            embeds.add(ImageSplice.embed(llm, idRows[r], imageToken, mine, m).expandDims(0));
        }
        NDArray batch = NDArrays.concat(new NDList(embeds), 0);
        NDArray positions = mask.cumSum(1).sub(1).maximum(0);
        out.put("logits", llm.forward(batch, positions, mask, null).logits());
        if (c.outputs().contains("generated_ids")) {
            JsonObject gen = c.json().getAsJsonObject("generation");
            int row = gen.has("input_rows") ? gen.getAsJsonArray("input_rows").get(0).getAsInt() : 0;
            List<Long> eos = gen.has("eos_token_id") ? List.of(gen.get("eos_token_id").getAsLong()) : List.of();
            DecodingSettings greedy = new DecodingSettings(gen.get("max_new_tokens").getAsInt(), 0, 0, 1.0, 1.0, 0,
                    eos, List.of(), false);
            long[][] rowMask = {mask.get(row).toLongArray()};
            DecodeResult r = new DecodingLoop(llm, null, m).generate(batch.get(new NDIndex("{}:{}", row, row + 1)),
                    rowMask, List.of(idRows[row]), greedy, null);
            long[] generated = r.tokens().get(0);
            long[] sequence = java.util.Arrays.copyOf(idRows[row], idRows[row].length + generated.length);
            System.arraycopy(generated, 0, sequence, idRows[row].length, generated.length);
            out.put("generated_ids", m.create(sequence, new Shape(1, sequence.length)));
        }
    }
}
