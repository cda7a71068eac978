package org.mix4j.pipelines.task;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.List;
import java.util.function.IntSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mix4j.config.ConfigException;
import org.mix4j.config.ConfigNode;
import org.mix4j.config.ConfigNode.Scalar;

/**
 * The {@code device:} key: {@code cpu} (default), {@code gpu} (the first GPU), or {@code cuda:N} /
 * {@code gpu:N}. A GPU is accepted only when the engine reports one; otherwise the pipeline is
 * refused at the key's line rather than run on the CPU behind the user's back.
 */
public final class PipelineDevice {

    private static final Pattern GPU = Pattern.compile("(?:gpu|cuda)(?::(\\d+))?");
    private static final List<String> VALID = List.of("cpu", "gpu", "cuda:N", "gpu:N");

    private PipelineDevice() {}

    /** The device a {@code device:} value names; {@code null} (absent) is the CPU. */
    public static Device parse(ConfigNode node) {
        return parse(node, () -> Engine.getInstance().getGpuCount());
    }

    /** As {@link #parse(ConfigNode)}, with the engine's GPU count supplied (tests). */
    static Device parse(ConfigNode node, IntSupplier gpuCount) {
        if (node == null || node instanceof Scalar s && s.value() == null) {
            return Device.cpu();
        }
        String text = node instanceof Scalar s ? String.valueOf(s.value()).trim().toLowerCase(java.util.Locale.ROOT) : "";
        if (text.equals("cpu")) {
            return Device.cpu();
        }
        Matcher m = GPU.matcher(text);
        if (!m.matches()) {
            throw new ConfigException(node.origin(), "device", "unknown device '" + text + "'", VALID);
        }
        int index = m.group(1) == null ? 0 : Integer.parseInt(m.group(1));
        int gpus = gpuCount.getAsInt();
        if (index >= gpus) {
            throw new ConfigException(node.origin(), "device", "'" + text + "' is not available: the "
                    + Engine.getDefaultEngineName() + " engine reports " + (gpus == 0 ? "no GPU" : gpus + " GPU(s)")
                    + " on this machine; use 'device: cpu'", null);
        }
        return Device.gpu(index);
    }
}
