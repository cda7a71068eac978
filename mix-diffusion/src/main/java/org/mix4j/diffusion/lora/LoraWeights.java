package org.mix4j.diffusion.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.mix4j.weights.LoadReport;
import org.mix4j.weights.Weights;

/**
 * A model's weights with LoRA updates merged in as they are read (Hu et al., "LoRA: Low-Rank
 * Adaptation of Large Language Models", 2021): {@code W' = W + scale * (alpha / rank) * (up @ down)}
 * for every weight a LoRA file names, several files adding up. Biases and other tensors pass
 * through. The merged model runs at the base model's speed.
 */
public final class LoraWeights implements Weights, AutoCloseable {

    private final Weights base;
    private final String root;
    private final List<LoraAdapter> adapters;
    private final boolean owner;

    private LoraWeights(Weights base, String root, List<LoraAdapter> adapters, boolean owner) {
        this.base = base;
        this.root = root;
        this.adapters = adapters;
        this.owner = owner;
    }

    /**
     * @param directory where relative LoRA paths are resolved (the denoiser's folder), or {@code null}
     */
    public static LoraWeights open(Weights base, List<LoraFile> files, Path directory) {
        List<LoraAdapter> adapters = new ArrayList<>();
        try {
            for (LoraFile f : files) {
                Path p = Path.of(f.file());
                if (!p.isAbsolute() && directory != null) {
                    p = (Files.isRegularFile(directory) ? directory.getParent() : directory).resolve(p);
                }
                adapters.add(new LoraAdapter(p, f.scale()));
            }
        } catch (RuntimeException e) {
            adapters.forEach(LoraAdapter::close);
            throw e;
        }
        return new LoraWeights(base, base.prefix(), adapters, true);
    }

    @Override
    public NDArray get(String name, Shape expected) {
        return merge(name, base.get(name, expected));
    }

    @Override
    public NDArray get(String name) {
        return merge(name, base.get(name));
    }

    /** Adds every file's update for {@code name}'s module; the unmerged tensor is freed. */
    private NDArray merge(String name, NDArray weight) {
        if (!name.endsWith(".weight")) {
            return weight;
        }
        String full = base.prefix() + name;
        String module = full.substring(root.length(), full.length() - ".weight".length());
        try (NDManager scope = weight.getManager().newSubManager()) {
            NDArray total = null;
            for (LoraAdapter a : adapters) {
                NDArray delta = a.delta(module, weight.getShape(), weight.getDataType(), scope);
                if (delta != null) {
                    total = total == null ? delta : total.add(delta);
                }
            }
            if (total == null) {
                return weight;
            }
            NDArray merged = weight.add(total); // in the model's manager, like the weight
            weight.close();
            merged.setName(full);
            return merged;
        }
    }

    /** Fails when a LoRA file names UNet modules that no weight matched. */
    public void requireAllApplied(String model) {
        adapters.forEach(a -> a.requireAllApplied(model));
    }

    @Override
    public boolean contains(String name) {
        return base.contains(name);
    }

    @Override
    public Shape shape(String name) {
        return base.shape(name);
    }

    @Override
    public Set<String> names() {
        return base.names();
    }

    @Override
    public Weights child(String prefix) {
        return new LoraWeights(base.child(prefix), root, adapters, false);
    }

    @Override
    public String prefix() {
        return base.prefix();
    }

    @Override
    public LoadReport report() {
        return base.report();
    }

    @Override
    public String source() {
        return base.source() + " + LoRA";
    }

    /** Closes the LoRA files (the merged weights stay with the model). */
    @Override
    public void close() {
        if (owner) {
            adapters.forEach(LoraAdapter::close);
        }
    }
}
