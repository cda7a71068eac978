package org.mix4j.diffusion.vae;

import java.util.List;
import org.mix4j.config.Default;
import org.mix4j.config.OptionalKey;
import org.mix4j.nn.Activation;

/**
 * The keys of diffusers' {@code AutoencoderKL} config (defaults are that class's), plus
 * {@code tiling}, which diffusers keeps as runtime attributes ({@code enable_tiling()},
 * {@code tile_sample_min_size}, ...) and mix4j reads from YAML.
 */
public record AutoencoderKlConfig(
        @Default("3") int inChannels,
        @Default("3") int outChannels,
        @Default("[DownEncoderBlock2D]") List<String> downBlockTypes,
        @Default("[UpDecoderBlock2D]") List<String> upBlockTypes,
        @Default("[64]") List<Integer> blockOutChannels,
        @Default("1") int layersPerBlock,
        @Default("silu") String actFn,
        @Default("4") int latentChannels,
        @Default("32") int normNumGroups,
        @Default("32") List<Integer> sampleSize,
        @Default("0.18215") double scalingFactor,
        @OptionalKey Double shiftFactor,
        @Default("true") boolean useQuantConv,
        @Default("true") boolean usePostQuantConv,
        @Default("true") boolean midBlockAddAttention,
        @OptionalKey Tiling tiling) {

    public static final List<String> DOWN_BLOCK_TYPES = List.of("DownEncoderBlock2D");
    public static final List<String> UP_BLOCK_TYPES = List.of("UpDecoderBlock2D");

    /**
     * Tiled encode/decode as diffusers' {@code enable_tiling()}: inputs larger than a tile are cut
     * into overlapping tiles, each run on its own, and the overlaps blended linearly.
     *
     * @param tileSampleMinSize tile size in pixels; default {@code tile_latent_min_size * scale} when
     *     that is set, else {@code sample_size}
     * @param tileLatentMinSize tile size in latents; default {@code int(tile_sample_min_size / scale)}
     * @param tileOverlapFactor fraction of a tile shared with its neighbour
     */
    public record Tiling(
            @Default("false") boolean enabled,
            @OptionalKey Integer tileSampleMinSize,
            @OptionalKey Integer tileLatentMinSize,
            @Default("0.25") double tileOverlapFactor) {

        public Tiling {
            if (!(tileOverlapFactor >= 0 && tileOverlapFactor < 1)) {
                throw new IllegalArgumentException("tiling.tile_overlap_factor: must be in [0, 1), got " + tileOverlapFactor);
            }
            if (tileSampleMinSize != null && tileSampleMinSize <= 0 || tileLatentMinSize != null && tileLatentMinSize <= 0) {
                throw new IllegalArgumentException("tiling: tile sizes must be positive, got tile_sample_min_size "
                        + tileSampleMinSize + ", tile_latent_min_size " + tileLatentMinSize);
            }
        }
    }

    public AutoencoderKlConfig {
        int blocks = blockOutChannels.size();
        if (blocks == 0) {
            throw new IllegalArgumentException("block_out_channels: must name at least one block");
        }
        checkTypes("down_block_types", downBlockTypes, DOWN_BLOCK_TYPES, blocks);
        checkTypes("up_block_types", upBlockTypes, UP_BLOCK_TYPES, blocks);
        Activation.of(actFn, "act_fn");
        if (sampleSize.isEmpty()) {
            throw new IllegalArgumentException("sample_size: expected an integer or [height, width]");
        }
        if (tiling != null && tiling.enabled()) {
            // fields are not assigned yet in a compact constructor: derive from the parameters
            int sample = tileSample(tiling, sampleSize, blocks);
            int latent = tileLatent(tiling, sampleSize, blocks);
            double overlap = tiling.tileOverlapFactor();
            if ((int) (sample * (1 - overlap)) <= 0 || (int) (latent * (1 - overlap)) <= 0) {
                throw new IllegalArgumentException("tiling: tiles of " + sample + " px / " + latent
                        + " latents with overlap " + overlap + " leave no stride between tiles");
            }
            // diffusers steps through the input by int(tile * (1 - overlap)) and keeps
            // tile - int(tile * overlap) of each output tile; when the two disagree (after scaling) its
            // output silently has the wrong size, so such settings are refused here
            int scale = 1 << (blocks - 1);
            int decodeStride = (int) (latent * (1 - overlap)) * scale;
            int decodeKept = sample - (int) (sample * overlap);
            int encodeStride = (int) (sample * (1 - overlap));
            int encodeKept = (latent - (int) (latent * overlap)) * scale;
            if (decodeStride != decodeKept || encodeStride != encodeKept) {
                throw new IllegalArgumentException("tiling: tile_sample_min_size " + sample + ", tile_latent_min_size "
                        + latent + " and tile_overlap_factor " + overlap + " do not tile evenly (decode: stride "
                        + decodeStride + " px but " + decodeKept + " px kept per tile; encode: stride " + encodeStride
                        + " px but " + encodeKept + " px kept); use tile_sample_min_size = " + scale
                        + " x tile_latent_min_size, both multiples of 4 at overlap 0.25");
            }
        }
    }

    /** Pixels per latent along a side: {@code 2^(len(block_out_channels) - 1)}. */
    public int scaleFactor() {
        return 1 << (blockOutChannels.size() - 1);
    }

    /** Whether tiled encode/decode is on. */
    public boolean tilingEnabled() {
        return tiling != null && tiling.enabled();
    }

    /** Tile size in pixels ({@code tiling.tile_sample_min_size}, else derived from the latent tile, else {@code sample_size}). */
    public int tileSampleMinSize() {
        return tileSample(tiling, sampleSize, blockOutChannels.size());
    }

    /** Tile size in latents ({@code tiling.tile_latent_min_size}, else {@code int(tile_sample_min_size / scale)}). */
    public int tileLatentMinSize() {
        return tileLatent(tiling, sampleSize, blockOutChannels.size());
    }

    /** Fraction of a tile that overlaps its neighbour (0.25 when tiling is not configured). */
    public double tileOverlapFactor() {
        return tiling != null ? tiling.tileOverlapFactor() : 0.25;
    }

    // diffusers' defaults are sample_size and int(sample_size / scale); when YAML sets one size only,
    // the other follows it, so the two always describe the same tile
    private static int tileSample(Tiling tiling, List<Integer> sampleSize, int blocks) {
        if (tiling != null && tiling.tileSampleMinSize() != null) {
            return tiling.tileSampleMinSize();
        }
        if (tiling != null && tiling.tileLatentMinSize() != null) {
            return tiling.tileLatentMinSize() * (1 << (blocks - 1));
        }
        return sampleSize.get(0);
    }

    private static int tileLatent(Tiling tiling, List<Integer> sampleSize, int blocks) {
        return tiling != null && tiling.tileLatentMinSize() != null ? tiling.tileLatentMinSize()
                : (int) (tileSample(tiling, sampleSize, blocks) / (double) (1 << (blocks - 1)));
    }

    private static void checkTypes(String key, List<String> types, List<String> valid, int blocks) {
        if (types.size() != blocks) {
            throw new IllegalArgumentException(key + ": needs one entry per block (" + blocks
                    + ", as block_out_channels), got " + types);
        }
        for (int i = 0; i < types.size(); i++) {
            if (!valid.contains(types.get(i))) {
                throw new IllegalArgumentException(key + "[" + i + "]: unknown block type '" + types.get(i)
                        + "'; valid: " + String.join(", ", valid));
            }
        }
    }
}
