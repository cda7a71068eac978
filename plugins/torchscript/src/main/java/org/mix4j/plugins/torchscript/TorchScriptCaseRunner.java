package org.mix4j.plugins.torchscript;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import jakarta.inject.Inject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mix4j.api.Connector;
import org.mix4j.api.EncoderOutput;
import org.mix4j.api.Role;
import org.mix4j.api.TokenGrid;
import org.mix4j.api.VisionEncoder;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.golden.CaseRunner;
import org.mix4j.golden.GoldenCase;
import org.pf4j.Extension;

/**
 * Golden kind {@code torchscript_block}: a traced encoder and a traced connector, loaded as
 * {@code torchscript:encoder} / {@code torchscript:connector} with the sizes {@code case.json}
 * {@code modules} declares (the module producing {@code encoder_output} is the encoder, the one
 * producing {@code connector_output} the connector). Outputs: {@code encoder(pixel_values)},
 * {@code connector(vision_features)} and {@code connector(encoder(pixel_values))}.
 */
@Extension
public final class TorchScriptCaseRunner implements CaseRunner {

    private final ComponentLoader loader;

    @Inject
    public TorchScriptCaseRunner(ComponentLoader loader) {
        this.loader = loader;
    }

    @Override
    public Set<String> kinds() {
        return Set.of("torchscript_block");
    }

    @Override
    public Map<String, NDArray> run(GoldenCase c, NDManager manager) {
        Map.Entry<String, JsonObject> enc = module(c, "encoder_output");
        Map.Entry<String, JsonObject> con = module(c, "connector_output");
        try (VisionEncoder encoder = loader.load(type(TorchScriptEncoder.TYPE), Role.VISION_ENCODER, c.dir(),
                encoderKeys(enc.getKey(), enc.getValue()), manager, DataType.FLOAT32);
                Connector connector = loader.load(type(TorchScriptConnector.TYPE), Role.CONNECTOR, c.dir(),
                        connectorKeys(con.getKey(), con.getValue()), manager, DataType.FLOAT32)) {
            Map<String, NDArray> out = new LinkedHashMap<>();
            EncoderOutput encoded = encoder.encode(c.tensor(name(enc.getValue(), "input"), manager));
            out.put("encoder_output", encoded.lastHiddenState());
            NDArray features = c.tensor(name(con.getValue(), "input"), manager);
            out.put("connector_output", connector.project(features, null, layout(features, encoded.grid())));
            out.put("pipeline_output", connector.project(encoded.features(), null, encoded.grid()));
            return out;
        }
    }

    /**
     * YAML keys of the encoder from its {@code modules} entry: input {@code [B, 3, H, W]}, output
     * {@code [B, N, D]}. The grid is {@code [H / patch, W / patch]} with {@code sizes.patch}; without
     * it, the patch that divides both sides and leaves at most one prefix token (CLS).
     */
    private static Map<String, Object> encoderKeys(String file, JsonObject m) {
        List<Long> in = shape(m, "input");
        List<Long> out = shape(m, "output");
        long height = in.get(2);
        long width = in.get(3);
        long tokens = out.get(1);
        JsonObject sizes = m.has("sizes") ? m.getAsJsonObject("sizes") : new JsonObject();
        long patch = sizes.has("patch") ? sizes.get("patch").getAsLong() : patchFor(file, height, width, tokens);
        long rows = height / patch;
        long cols = width / patch;
        Map<String, Object> keys = new LinkedHashMap<>();
        keys.put("file", file);
        keys.put("height", height);
        keys.put("width", width);
        keys.put("grid", List.of(rows, cols));
        keys.put("hidden_size", out.get(2));
        keys.put("prefix_tokens", tokens - rows * cols);
        keys.put("input", name(m, "input"));
        keys.put("output", name(m, "output"));
        return keys;
    }

    private static long patchFor(String file, long height, long width, long tokens) {
        for (long prefix = 0; prefix <= 1; prefix++) {
            for (long p = 1; p <= Math.min(height, width); p++) {
                if (height % p == 0 && width % p == 0 && (height / p) * (width / p) == tokens - prefix) {
                    return p;
                }
            }
        }
        throw new IllegalArgumentException(file + ": no patch size divides " + height + "x" + width
                + " (height x width) into " + tokens + " tokens (at most one prefix token); set sizes.patch in case.json");
    }

    private static Map<String, Object> connectorKeys(String file, JsonObject m) {
        List<Long> in = shape(m, "input");
        List<Long> out = shape(m, "output");
        Map<String, Object> keys = new LinkedHashMap<>();
        keys.put("file", file);
        keys.put("input_size", in.get(2));
        keys.put("output_size", out.get(2));
        if (!in.get(1).equals(out.get(1))) {
            keys.put("output_tokens", out.get(1));
        }
        keys.put("input", name(m, "input"));
        keys.put("output", name(m, "output"));
        return keys;
    }

    /** The encoder's grid when the features are laid out like it, else one row of tokens. */
    private static TokenGrid layout(NDArray features, TokenGrid encoderGrid) {
        long n = features.getShape().get(1);
        return n == encoderGrid.tokens() ? encoderGrid : new TokenGrid(1, (int) n, 0);
    }

    private static Map.Entry<String, JsonObject> module(GoldenCase c, String output) {
        JsonObject modules = c.json().getAsJsonObject("modules");
        for (Map.Entry<String, com.google.gson.JsonElement> e : modules.entrySet()) {
            JsonObject m = e.getValue().getAsJsonObject();
            if (output.equals(name(m, "output"))) {
                return Map.entry(e.getKey(), m);
            }
        }
        throw new IllegalArgumentException(c.dir() + "/case.json: no entry of 'modules' has output '" + output + "'");
    }

    private static String name(JsonObject module, String side) {
        return module.getAsJsonObject(side).get("name").getAsString();
    }

    private static List<Long> shape(JsonObject module, String side) {
        JsonArray a = module.getAsJsonObject(side).getAsJsonArray("shape");
        return a.asList().stream().map(e -> e.getAsLong()).toList();
    }

    /** The plugin's types are namespaced by its id wherever it runs: {@code torchscript:<name>}. */
    private static String type(String name) {
        return "torchscript:" + name;
    }
}
