package org.mix4j.plugins.pixelshuffle;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonArray;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.Set;
import org.mix4j.api.Connector;
import org.mix4j.api.Role;
import org.mix4j.api.TokenGrid;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.golden.CaseRunner;
import org.mix4j.golden.GoldenCase;
import org.pf4j.Extension;

/**
 * Golden kind {@code pixel_shuffle_connector}: {@code connector_output = mlp1(pixel_shuffle(
 * vision_features minus its prefix tokens))}, with the connector loaded from the case's InternVL
 * {@code config.json} and {@code model.safetensors}. {@code case.json} gives the token layout of
 * {@code vision_features} as {@code grid: [rows, cols]} and {@code prefix_tokens}.
 */
@Extension
public final class PixelShuffleCaseRunner implements CaseRunner {

    private final ComponentLoader loader;

    @Inject
    public PixelShuffleCaseRunner(ComponentLoader loader) {
        this.loader = loader;
    }

    @Override
    public Set<String> kinds() {
        return Set.of("pixel_shuffle_connector");
    }

    @Override
    public Map<String, NDArray> run(GoldenCase c, NDManager manager) {
        JsonArray grid = c.json().getAsJsonArray("grid");
        int prefix = c.json().has("prefix_tokens") ? c.json().get("prefix_tokens").getAsInt() : 0;
        TokenGrid layout = new TokenGrid(grid.get(0).getAsInt(), grid.get(1).getAsInt(), prefix);
        try (Connector connector = loader.load(type(), Role.CONNECTOR, c.dir(), Map.of(), manager, DataType.FLOAT32)) {
            NDArray out = connector.project(c.tensor("vision_features", manager), null, layout);
            if (out.getShape().get(1) != connector.outputTokens(layout)) {
                throw new IllegalStateException("connector returned " + out.getShape() + " but declares "
                        + connector.outputTokens(layout) + " tokens for " + layout);
            }
            return Map.of("connector_output", out);
        }
    }

    /** The plugin's type, namespaced by its id wherever it runs. */
    private static String type() {
        return "pixel-shuffle:" + PixelShuffleFactory.TYPE;
    }
}
