package org.mix4j.diffusion.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.TreeSet;
import org.mix4j.weights.Checkpoint;
import org.mix4j.weights.CheckpointException;
import org.mix4j.weights.CheckpointWeights;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The UNet part of one LoRA file, in either of the two layouts published LoRAs use:
 * <ul>
 *   <li>kohya-ss / A1111: {@code lora_unet_<module path, '.' -> '_'>.lora_down.weight} [rank, in],
 *       {@code .lora_up.weight} [out, rank] and {@code .alpha};</li>
 *   <li>diffusers / peft: {@code unet.<module path>.lora_A.weight} (down) and {@code .lora_B.weight}
 *       (up), usually without alpha (then alpha = rank).</li>
 * </ul>
 * A module's update is {@code scale * (alpha / rank) * (up @ down)}, convolution kernels flattened
 * to matrices. Text-encoder entries ({@code lora_te_*}, {@code text_encoder.*}) are not applied.
 */
final class LoraAdapter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LoraAdapter.class);

    private enum Layout { KOHYA, PEFT }

    private final Path file;
    private final Checkpoint checkpoint;
    private final Layout layout;
    private final double scale;
    /** The down-matrix keys of every UNet module in the file, removed as they are applied. */
    private final Set<String> pending = new TreeSet<>();

    LoraAdapter(Path file, double scale) {
        this.file = file;
        this.scale = scale;
        this.checkpoint = Checkpoint.open(file);
        Set<String> names = checkpoint.tensors().keySet();
        boolean kohya = names.stream().anyMatch(n -> n.startsWith("lora_unet_"));
        boolean peft = names.stream().anyMatch(n -> n.startsWith("unet.") && n.contains(".lora_A."));
        if (!kohya && !peft) {
            checkpoint.close();
            throw new CheckpointException(file + ": no UNet LoRA tensors; expected kohya-ss names "
                    + "(lora_unet_*.lora_down.weight) or diffusers/peft names (unet.*.lora_A.weight)");
        }
        this.layout = kohya ? Layout.KOHYA : Layout.PEFT;
        String downSuffix = layout == Layout.KOHYA ? ".lora_down.weight" : ".lora_A.weight";
        String unetPrefix = layout == Layout.KOHYA ? "lora_unet_" : "unet.";
        Set<String> skipped = new LinkedHashSet<>();
        for (String n : names) {
            if (n.endsWith(downSuffix)) {
                (n.startsWith(unetPrefix) ? pending : skipped).add(n);
            }
        }
        if (!skipped.isEmpty()) {
            LOG.warn("{}: {} LoRA modules outside the UNet (text encoder) are not applied", file, skipped.size());
        }
    }

    /**
     * The update of the weight of {@code module} (a UNet module path such as
     * {@code down_blocks.0.attentions.0.proj_in}), of {@code shape}, or {@code null} when the file
     * has none for it.
     */
    NDArray delta(String module, Shape shape, DataType dtype, NDManager manager) {
        long out = shape.get(0);
        Factors f = factors(module, out, shape.size() / out, dtype, manager);
        if (f == null) {
            return null;
        }
        NDArray product = f.up().matMul(f.down()); // [out, in]
        return product.mul((float) (scale * f.scaling())).reshape(shape);
    }

    /**
     * The low-rank factors of {@code module}'s update as matrices, convolution kernels flattened, or
     * {@code null} when the file has none for it: {@code delta = scaling * up @ down}.
     *
     * @param down {@code [rank, in]}
     * @param up {@code [out, rank]}
     * @param scaling {@code alpha / rank} (the multiplier not included)
     */
    record Factors(NDArray down, NDArray up, double scaling) {}

    /** See {@link Factors}; {@code out} and {@code in} are the weight's rows and (flattened) columns. */
    Factors factors(String module, long out, long in, DataType dtype, NDManager manager) {
        String key = layout == Layout.KOHYA ? "lora_unet_" + module.replace('.', '_') : "unet." + module;
        String down = key + (layout == Layout.KOHYA ? ".lora_down.weight" : ".lora_A.weight");
        String up = key + (layout == Layout.KOHYA ? ".lora_up.weight" : ".lora_B.weight");
        if (!pending.remove(down)) {
            return null;
        }
        CheckpointWeights w = checkpoint.weights(manager, dtype);
        NDArray downW = w.get(down);
        NDArray upW = w.get(up);
        long rank = downW.getShape().get(0);
        if (upW.getShape().get(0) != out || upW.getShape().size() != out * rank || downW.getShape().size() != rank * in) {
            throw new CheckpointException(file + ": LoRA '" + key + "' has down " + downW.getShape() + " and up "
                    + upW.getShape() + ", which do not fit the weight [" + out + ", " + in + "]");
        }
        double alpha = w.contains(key + ".alpha") ? w.get(key + ".alpha").toType(DataType.FLOAT64, false).getDouble()
                : rank;
        return new Factors(downW.reshape(rank, in), upW.reshape(out, rank), alpha / rank);
    }

    /** The down-matrix keys of the UNet modules no weight has asked for yet. */
    Set<String> unmatched() {
        return java.util.Collections.unmodifiableSet(pending);
    }

    /** Fails naming the UNet modules of the file that no weight of the model matched. */
    void requireAllApplied(String model) {
        if (!pending.isEmpty()) {
            throw new CheckpointException(file + ": " + pending.size() + " LoRA modules match no weight of " + model
                    + " (a LoRA for another architecture?), e.g. " + pending.stream().limit(5).toList());
        }
    }

    @Override
    public void close() {
        checkpoint.close();
    }
}
