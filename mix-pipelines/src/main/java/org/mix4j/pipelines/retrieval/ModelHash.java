package org.mix4j.pipelines.retrieval;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.mix4j.api.Role;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.compose.ComponentSpec;
import org.mix4j.config.ConfigNode;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.weights.Checkpoint;
import org.mix4j.weights.SafeTensorsFile;

/**
 * The hash of a {@link ModelFingerprint}: what decides whether two runs produce embeddings in the
 * same space. It covers the bound configs (not their YAML line numbers) and the weight files: their
 * names, sizes, and 16 blocks of 64 KiB sampled across each, which tells a fine-tuned copy apart
 * without reading gigabytes on every run.
 */
final class ModelHash {

    private static final int SAMPLES = 16;
    private static final int BLOCK = 64 * 1024;

    private final MessageDigest digest;

    ModelHash() {
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always available", e);
        }
    }

    /**
     * The fingerprint of a retrieval pipeline's image side: the tower's type, prefix and bound
     * config, the image processor's type and bound config, the dtype, and the tower's weight files.
     */
    static ModelFingerprint fingerprint(PipelineConfig config, ComponentLoader loader, ComponentSpec processorSpec,
            ComponentSpec encoderSpec, int dim) {
        ModelHash hash = new ModelHash()
                .add("encoder.type", encoderSpec.type())
                .add("encoder.weights_prefix", encoderSpec.weightsPrefix())
                .add("encoder.config", loader.bindConfig(encoderSpec, Role.VISION_ENCODER, config.checkpoint()))
                .add("image_processor.type", processorSpec.type())
                .add("image_processor.config", loader.bindConfig(processorSpec, Role.IMAGE_PROCESSOR, config.checkpoint()))
                .add("dtype", config.dtype());
        Path weights = encoderDirectory(encoderSpec, config.checkpoint());
        if (encoderSpec.init() == ComponentSpec.Init.RANDOM) {
            hash.add("encoder.init", "random seed " + encoderSpec.seed());
        } else if (weights != null) {
            hash.addWeights(weights);
        }
        String where = weights == null ? "(none)" : weights.toAbsolutePath().normalize().toString();
        return new ModelFingerprint(where, encoderSpec.type(), hash.hex(), dim);
    }

    /** Where the loader reads the tower's weights: the section's {@code weights:} under the checkpoint. */
    private static Path encoderDirectory(ComponentSpec spec, Path checkpoint) {
        if (spec.weights() == null) {
            return checkpoint;
        }
        Path w = Path.of(spec.weights());
        return w.isAbsolute() || checkpoint == null ? w : checkpoint.resolve(w);
    }

    /** Adds {@code key=value} with the value written canonically. */
    ModelHash add(String key, Object value) {
        digest.update((key + "=" + canonical(value) + "\n").getBytes(StandardCharsets.UTF_8));
        return this;
    }

    /** Adds the weight files the loader reads at {@code location} (as {@link Checkpoint#open} picks them). */
    ModelHash addWeights(Path location) {
        List<Path> files;
        try (Checkpoint checkpoint = Checkpoint.open(location)) {
            files = checkpoint.files().stream().map(SafeTensorsFile::path).sorted().toList();
        }
        try {
            for (Path f : files) {
                add("weights", f.getFileName() + " " + Files.size(f));
                sample(f);
            }
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read weights at " + location + ": " + e.getMessage(), e);
        }
    }

    String hex() {
        return HexFormat.of().formatHex(digest.digest());
    }

    private void sample(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer block = ByteBuffer.allocate(BLOCK);
            for (int i = 0; i < SAMPLES; i++) {
                long at = size <= BLOCK ? 0 : (size - BLOCK) * i / (SAMPLES - 1);
                block.clear();
                while (block.hasRemaining() && ch.read(block, at + block.position()) > 0) {
                    // keep reading until the block is full or the file ends
                }
                block.flip();
                digest.update(block);
                if (size <= BLOCK) {
                    return;
                }
            }
        }
    }

    /** Config trees by value (origins left out), records by component, the rest as text. */
    static String canonical(Object value) {
        if (value instanceof ConfigNode.MapNode m) {
            StringBuilder b = new StringBuilder("{");
            m.entries().entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .forEach(e -> b.append(e.getKey()).append(':').append(canonical(e.getValue())).append(';'));
            return b.append('}').toString();
        }
        if (value instanceof ConfigNode.ListNode l) {
            return l.items().stream().map(ModelHash::canonical).toList().toString();
        }
        if (value instanceof ConfigNode.Scalar s) {
            return String.valueOf(s.value());
        }
        if (value instanceof Record r) {
            StringBuilder b = new StringBuilder("{");
            for (var c : r.getClass().getRecordComponents()) {
                try {
                    b.append(c.getName()).append(':').append(canonical(c.getAccessor().invoke(r))).append(';');
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException("cannot read " + c.getName() + " of " + r.getClass(), e);
                }
            }
            return b.append('}').toString();
        }
        if (value instanceof List<?> list) {
            return list.stream().map(ModelHash::canonical).toList().toString();
        }
        return String.valueOf(value);
    }
}
