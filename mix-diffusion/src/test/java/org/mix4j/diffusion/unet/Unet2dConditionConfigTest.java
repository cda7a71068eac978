package org.mix4j.diffusion.unet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.mix4j.api.Role;
import org.mix4j.config.ConfigException;
import org.mix4j.diffusion.DiffusionFixtures;

class Unet2dConditionConfigTest {

    private static final String TWO_BLOCKS = """
            type: unet2d_condition
            block_out_channels: [16, 32]
            down_block_types: [CrossAttnDownBlock2D, DownBlock2D]
            up_block_types: [UpBlock2D, CrossAttnUpBlock2D]
            """;

    private static Unet2dConditionConfig bind(String yaml) {
        return (Unet2dConditionConfig) DiffusionFixtures.loader()
                .bindConfig(DiffusionFixtures.section("denoiser", yaml), Role.DENOISER, null);
    }

    private static String error(String yaml) {
        return assertThrows(ConfigException.class, () -> bind(yaml)).getMessage();
    }

    @Test
    void unknownBlockTypeListsTheValidTypes() {
        String message = error(TWO_BLOCKS.replace("[CrossAttnDownBlock2D, DownBlock2D]",
                "[SimpleCrossAttnDownBlock2D, DownBlock2D]"));
        assertTrue(message.contains("down_block_types[0]") && message.contains("SimpleCrossAttnDownBlock2D")
                && message.contains("CrossAttnDownBlock2D, DownBlock2D"), message);
        String mid = error(TWO_BLOCKS + "mid_block_type: UNetMidBlock2DSimpleCrossAttn\n");
        assertTrue(mid.contains("UNetMidBlock2DCrossAttn, UNetMidBlock2D"), mid);
    }

    @Test
    void perBlockValuesTakeOneValueOrOnePerBlock() {
        Unet2dConditionConfig config = bind(TWO_BLOCKS + "layers_per_block: 2\nattention_head_dim: [2, 4]\n");
        assertEquals(List.of(2, 2), config.layersPerBlock());
        assertEquals(List.of(2, 4), config.attentionHeadDim());
        String message = error(TWO_BLOCKS + "attention_head_dim: [2, 4, 8]\n");
        assertTrue(message.contains("attention_head_dim") && message.contains("one per block (2"), message);
    }

    @Test
    void attentionHeadDimIsTheHeadCountUnlessNumAttentionHeadsIsGiven() {
        assertEquals(List.of(8, 8), bind(TWO_BLOCKS + "attention_head_dim: 8\n").headsPerBlock());
        assertEquals(List.of(2, 2), bind(TWO_BLOCKS + "attention_head_dim: 8\nnum_attention_heads: 2\n").headsPerBlock());
    }

    @Test
    void unimplementedFeaturesAreRejectedByTheirKey() {
        String sdxl = error(TWO_BLOCKS + "addition_embed_type: text_time\n");
        assertTrue(sdxl.contains("addition_embed_type") && sdxl.contains("not supported"), sdxl);
        String lcm = error(TWO_BLOCKS + "time_cond_proj_dim: 256\n");
        assertTrue(lcm.contains("time_cond_proj_dim"), lcm);
        String act = error(TWO_BLOCKS + "act_fn: swishy\n");
        assertTrue(act.contains("act_fn") && act.contains("silu"), act);
    }

    @Test
    void thePooledPromptNeedsOneTextWidthThatItsHeadsDivide() {
        Unet2dConditionConfig text = bind(TWO_BLOCKS + "cross_attention_dim: 12\naddition_embed_type: text\n"
                + "addition_embed_type_num_heads: 3\n");
        assertEquals("text", text.additionEmbedType());
        assertEquals(3, text.additionEmbedTypeNumHeads());
        String heads = error(TWO_BLOCKS + "cross_attention_dim: 12\naddition_embed_type: text\n");
        assertTrue(heads.contains("addition_embed_type_num_heads: 64") && heads.contains("(12)"), heads);
        String widths = error(TWO_BLOCKS + "cross_attention_dim: [12, 24]\naddition_embed_type: text\n"
                + "addition_embed_type_num_heads: 4\n");
        assertTrue(widths.contains("cross_attention_dim") && widths.contains("[12, 24]"), widths);
    }

    @Test
    void misspeltKeyIsRejectedWithASuggestion() {
        String message = error(TWO_BLOCKS + "use_linear_projections: true\n");
        assertTrue(message.contains("did you mean 'use_linear_projection'"), message);
    }
}
