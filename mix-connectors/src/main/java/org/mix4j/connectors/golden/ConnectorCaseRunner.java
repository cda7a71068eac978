package org.mix4j.connectors.golden;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.Set;
import org.mix4j.api.Connector;
import org.mix4j.api.Role;
import org.mix4j.api.TokenGrid;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.connectors.qformer.QformerConnector;
import org.mix4j.connectors.qformer.QformerOutput;
import org.mix4j.golden.CaseRunner;
import org.mix4j.golden.GoldenCase;
import org.pf4j.Extension;

/**
 * Golden cases of the connectors. Each loads the case's checkpoint through {@link ComponentLoader}
 * (sizes from its config.json) and makes the call {@code case.json} describes.
 */
@Extension
public final class ConnectorCaseRunner implements CaseRunner {

    private final ComponentLoader loader;

    @Inject
    public ConnectorCaseRunner(ComponentLoader loader) {
        this.loader = loader;
    }

    @Override
    public Set<String> kinds() {
        return Set.of("blip2_qformer", "idefics2_resampler");
    }

    @Override
    public Map<String, NDArray> run(GoldenCase c, NDManager manager) {
        return switch (c.kind()) {
            case "blip2_qformer" -> qformer(c, manager);
            case "idefics2_resampler" -> resampler(c, manager);
            default -> throw new IllegalArgumentException("not a connector case: " + c.kind());
        };
    }

    /** {@code model(query_embeds=..., encoder_hidden_states=..., encoder_attention_mask=...)}. */
    private Map<String, NDArray> qformer(GoldenCase c, NDManager manager) {
        // A bare Blip2QFormerModel has no learned query_tokens: the case passes query_embeds.
        try (Connector connector = loader.load("qformer", Role.CONNECTOR, c.dir(), Map.of("learned_queries", false),
                manager, DataType.FLOAT32)) {
            QformerOutput out = ((QformerConnector) connector).forward(c.tensor("query_embeds", manager),
                    c.tensor("encoder_hidden_states", manager), c.tensor("encoder_attention_mask", manager));
            return Map.of("last_hidden_state", out.lastHiddenState(), "pooler_output", out.poolerOutput());
        }
    }

    /** {@code latents_out = model(context=..., attention_mask=...)}. */
    private Map<String, NDArray> resampler(GoldenCase c, NDManager manager) {
        try (Connector connector = loader.load("perceiver_resampler", Role.CONNECTOR, c.dir(), Map.of(), manager,
                DataType.FLOAT32)) {
            NDArray context = c.tensor("context", manager);
            NDArray mask = c.tensor("attention_mask", manager);
            TokenGrid grid = new TokenGrid(1, (int) context.getShape().get(1), 0);
            NDArray latents = connector.project(context, mask, grid);
            if (latents.getShape().get(1) != connector.outputTokens(grid)) {
                throw new IllegalStateException("resampler returned " + latents.getShape()
                        + " but declares " + connector.outputTokens(grid) + " tokens");
            }
            return Map.of("latents_out", latents);
        }
    }
}
