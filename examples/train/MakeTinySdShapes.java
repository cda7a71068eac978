import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import org.mix4j.MixRuntime;
import org.mix4j.api.Role;
import org.mix4j.api.Trainable;
import org.mix4j.registry.MixSettings;
import org.mix4j.weights.Checkpoint;
import org.mix4j.weights.CheckpointWeights;
import org.mix4j.weights.SafeTensorsWriter;

/**
 * Writes the untrained starting point of examples/models/tiny-sd-shapes: a diffusers
 * StableDiffusionPipeline folder whose text encoder and tokenizer are the shipped tiny CLIP's
 * (examples/models/tiny-clip-shapes: its text tower as a CLIPTextModel, its word-level tokenizer.json as a
 * PreTrainedTokenizerFast), with a seeded random AutoencoderKL (64 px images, 4 x 16 x 16 latents) and
 * UNet2DConditionModel (mix4j's `init: random`: normal(0, 1/sqrt(fan_in)), norms 1, biases 0) and a DDIM
 * scheduler with Stable Diffusion's training schedule. Deterministic: the same files on every run.
 *
 *   CP="mix-cli/target/classes:$(cat mix-cli/target/classpath.txt)"
 *   java -cp "$CP" examples/train/MakeTinySdShapes.java runs/tiny-sd-shapes-init
 *
 * With --velocity the scheduler predicts the velocity on a schedule rescaled to zero terminal SNR with
 * trailing timesteps, as tiny-sd-shapes-quick.sh trains it; with --light the UNet has no attention at
 * its 16 x 16 level (the quick recipe's, {@link #UNET_LIGHT}).
 */
public class MakeTinySdShapes {

    static final Path CLIP = Path.of("examples/models/tiny-clip-shapes");
    static final long SEED = 23;

    static final String VAE = """
            {
              "_class_name": "AutoencoderKL",
              "_diffusers_version": "0.31.0",
              "act_fn": "silu",
              "block_out_channels": [16, 32, 32],
              "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"],
              "force_upcast": true,
              "in_channels": 3,
              "latent_channels": 4,
              "layers_per_block": 1,
              "mid_block_add_attention": true,
              "norm_num_groups": 8,
              "out_channels": 3,
              "sample_size": 64,
              "scaling_factor": 1.0,
              "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"],
              "use_post_quant_conv": true,
              "use_quant_conv": true
            }
            """;

    static final String UNET = """
            {
              "_class_name": "UNet2DConditionModel",
              "_diffusers_version": "0.31.0",
              "act_fn": "silu",
              "attention_head_dim": 4,
              "block_out_channels": [32, 64, 64],
              "center_input_sample": false,
              "cross_attention_dim": 64,
              "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
              "downsample_padding": 1,
              "flip_sin_to_cos": true,
              "freq_shift": 0,
              "in_channels": 4,
              "layers_per_block": 1,
              "mid_block_scale_factor": 1,
              "mid_block_type": "UNetMidBlock2DCrossAttn",
              "norm_eps": 1e-05,
              "norm_num_groups": 8,
              "out_channels": 4,
              "sample_size": 16,
              "transformer_layers_per_block": 1,
              "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
              "upcast_attention": false,
              "use_linear_projection": false
            }
            """;

    static final String SCHEDULER = """
            {
              "_class_name": "DDIMScheduler",
              "_diffusers_version": "0.31.0",
              "beta_end": 0.012,
              "beta_schedule": "scaled_linear",
              "beta_start": 0.00085,
              "clip_sample": false,
              "num_train_timesteps": 1000,
              "prediction_type": "epsilon",
              "set_alpha_to_one": false,
              "steps_offset": 1,
              "timestep_spacing": "leading"
            }
            """;

    /** The quick recipe's schedule: the velocity as the target, rescaled to zero SNR at t = 999 (Lin et al. 2024). */
    static final String SCHEDULER_VELOCITY = edit(edit(SCHEDULER, "\"epsilon\"", "\"v_prediction\""),
            "\"leading\"", "\"trailing\",\n  \"rescale_betas_zero_snr\": true");

    /**
     * The quick recipe's UNet: no attention at the 16 x 16 level, the first down block and the last up
     * block plain resnets (as SDXL leaves its largest level without attention). A training step takes
     * about 0.6 of the time; the prompt still reaches the 8 x 8 level and the middle.
     */
    static final String UNET_LIGHT = edit(edit(UNET,
            "[\"CrossAttnDownBlock2D\", \"CrossAttnDownBlock2D\", \"DownBlock2D\"]",
            "[\"DownBlock2D\", \"CrossAttnDownBlock2D\", \"DownBlock2D\"]"),
            "[\"UpBlock2D\", \"CrossAttnUpBlock2D\", \"CrossAttnUpBlock2D\"]",
            "[\"UpBlock2D\", \"CrossAttnUpBlock2D\", \"UpBlock2D\"]");

    /** {@code config} with {@code from} replaced by {@code to}; fails when {@code from} is not in it. */
    static String edit(String config, String from, String to) {
        if (!config.contains(from)) {
            throw new IllegalStateException("the config no longer contains " + from);
        }
        return config.replace(from, to);
    }

    static final String MODEL_INDEX = """
            {
              "_class_name": "StableDiffusionPipeline",
              "_diffusers_version": "0.31.0",
              "scheduler": ["diffusers", "DDIMScheduler"],
              "text_encoder": ["transformers", "CLIPTextModel"],
              "tokenizer": ["transformers", "PreTrainedTokenizerFast"],
              "unet": ["diffusers", "UNet2DConditionModel"],
              "vae": ["diffusers", "AutoencoderKL"]
            }
            """;

    public static void main(String[] args) throws IOException {
        boolean velocity = List.of(args).contains("--velocity");
        boolean light = List.of(args).contains("--light");
        Path out = Path.of(List.of(args).stream().filter(a -> !a.startsWith("--")).findFirst()
                .orElse("runs/tiny-sd-shapes-init"));
        for (String folder : List.of("unet", "vae", "scheduler", "text_encoder", "tokenizer")) {
            Files.createDirectories(out.resolve(folder));
        }
        Files.writeString(out.resolve("model_index.json"), MODEL_INDEX);
        Files.writeString(out.resolve("unet/config.json"), light ? UNET_LIGHT : UNET);
        Files.writeString(out.resolve("vae/config.json"), VAE);
        Files.writeString(out.resolve("scheduler/scheduler_config.json"), velocity ? SCHEDULER_VELOCITY : SCHEDULER);
        for (String file : List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")) {
            Files.copy(CLIP.resolve(file), out.resolve("tokenizer").resolve(file), StandardCopyOption.REPLACE_EXISTING);
        }
        Files.writeString(out.resolve("text_encoder/config.json"), textConfig());
        try (MixRuntime runtime = MixRuntime.start(new MixSettings(List.of(), 1));
                NDManager manager = NDManager.newBaseManager()) {
            long count = 0;
            count += random(runtime, "unet2d_condition", Role.DENOISER, out.resolve("unet"), manager);
            count += random(runtime, "autoencoder_kl", Role.AUTOENCODER, out.resolve("vae"), manager);
            SafeTensorsWriter text = new SafeTensorsWriter();
            try (Checkpoint clip = Checkpoint.open(CLIP)) {
                CheckpointWeights weights = clip.weights(manager, DataType.FLOAT32);
                for (String name : clip.tensors().keySet()) {
                    if (name.startsWith("text_model.")) {
                        text.put(name, weights.get(name));
                    }
                }
            }
            text.write(out.resolve("text_encoder/model.safetensors"));
            System.out.println("wrote " + out + ": " + count + " random UNet and VAE values, the text tower of " + CLIP);
        }
    }

    /** The component built from {@code dir}'s config.json with random weights, written beside it; returns its size. */
    static long random(MixRuntime runtime, String type, Role role, Path dir, NDManager manager) throws IOException {
        Object component = runtime.loader().load(type, role, dir, Map.of("init", "random", "seed", SEED), manager,
                DataType.FLOAT32);
        SafeTensorsWriter writer = new SafeTensorsWriter();
        long count = 0;
        for (Map.Entry<String, NDArray> e : ((Trainable) component).parameters().entrySet()) {
            writer.put(e.getKey(), e.getValue());
            count += e.getValue().size();
        }
        writer.write(dir.resolve("diffusion_pytorch_model.safetensors"));
        try {
            ((AutoCloseable) component).close();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return count;
    }

    /** The CLIP's text_config as a CLIPTextModel's config.json. */
    static String textConfig() throws IOException {
        com.google.gson.JsonObject clip = com.google.gson.JsonParser.parseString(
                Files.readString(CLIP.resolve("config.json"))).getAsJsonObject();
        com.google.gson.JsonObject text = clip.getAsJsonObject("text_config").deepCopy();
        com.google.gson.JsonArray architectures = new com.google.gson.JsonArray();
        architectures.add("CLIPTextModel");
        text.add("architectures", architectures);
        text.addProperty("torch_dtype", "float32");
        return new com.google.gson.GsonBuilder().setPrettyPrinting().create().toJson(text) + "\n";
    }
}
