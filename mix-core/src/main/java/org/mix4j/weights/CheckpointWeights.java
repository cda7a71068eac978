package org.mix4j.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashSet;
import java.util.Set;

/** {@link Weights} backed by a {@link Checkpoint}; tensors are read on request. */
public final class CheckpointWeights implements Weights {

    private final Checkpoint checkpoint;
    private final NDManager manager;
    private final DataType floatType;
    private final String prefix;
    private final LoadReport report;

    CheckpointWeights(Checkpoint checkpoint, NDManager manager, DataType floatType) {
        this(checkpoint, manager, floatType, "", new LoadReport(checkpoint.location().toString()));
    }

    private CheckpointWeights(Checkpoint checkpoint, NDManager manager, DataType floatType, String prefix,
            LoadReport report) {
        this.checkpoint = checkpoint;
        this.manager = manager;
        this.floatType = floatType;
        this.prefix = prefix;
        this.report = report;
    }

    @Override
    public NDArray get(String name, Shape expected) {
        String full = prefix + name;
        TensorInfo info = checkpoint.tensors().get(full);
        if (info == null) {
            report.missing(full, elements(expected));
            if (report.missingElements() > checkpoint.totalElements()) {
                throw report.outgrows(checkpoint.totalElements());
            }
            // A placeholder lets construction go on so that every missing name is reported at once.
            // It is one zero seen through a stride-0 view (torch expand): it costs no memory whatever
            // the shape, so a wrong weights_prefix costs nothing before it is reported.
            try (NDArray zero = manager.zeros(new Shape(), floatType)) {
                return zero.broadcast(expected);
            }
        }
        if (!info.shape().equals(expected)) {
            throw new CheckpointException(checkpoint.fileOf(full).path() + ": tensor '" + full + "' has shape "
                    + info.shape() + " but the model expects " + expected);
        }
        return load(full, info);
    }

    @Override
    public NDArray get(String name) {
        String full = prefix + name;
        TensorInfo info = checkpoint.tensors().get(full);
        if (info == null) {
            report.missing(full);
            report.throwIfMissing();
        }
        return load(full, info);
    }

    /** Elements of {@code shape}, saturating instead of overflowing (a hostile config may ask for any size). */
    private static long elements(Shape shape) {
        long n = 1;
        for (long d : shape.getShape()) {
            if (d > 0 && n > Long.MAX_VALUE / d) {
                return Long.MAX_VALUE;
            }
            n *= Math.max(d, 0);
        }
        return n;
    }

    private NDArray load(String full, TensorInfo info) {
        report.used(full);
        NDArray stored = checkpoint.fileOf(full).read(full, manager);
        if (!info.dataType().isFloating() || info.dataType() == floatType) {
            return stored;
        }
        NDArray converted = stored.toType(floatType, false);
        converted.setName(full);
        stored.close();
        return converted;
    }

    @Override
    public boolean contains(String name) {
        return checkpoint.tensors().containsKey(prefix + name);
    }

    @Override
    public boolean preQuantized(String name) {
        TensorInfo info = checkpoint.tensors().get(prefix + name);
        return info != null && info.dataType() == ai.djl.ndarray.types.DataType.INT8
                && checkpoint.tensors().containsKey(prefix + name + "_scale");
    }

    @Override
    public Shape shape(String name) {
        TensorInfo info = checkpoint.tensors().get(prefix + name);
        return info == null ? null : info.shape();
    }

    @Override
    public Set<String> names() {
        Set<String> out = new LinkedHashSet<>();
        for (String n : checkpoint.tensors().keySet()) {
            if (n.startsWith(prefix)) {
                out.add(n.substring(prefix.length()));
            }
        }
        return out;
    }

    @Override
    public Weights child(String childPrefix) {
        return new CheckpointWeights(checkpoint, manager, floatType, prefix + childPrefix, report);
    }

    @Override
    public String prefix() {
        return prefix;
    }

    @Override
    public LoadReport report() {
        return report;
    }

    @Override
    public String source() {
        return checkpoint.location().toString();
    }

    /** Checkpoint names under this view's prefix that nothing asked for. */
    public java.util.List<String> unused() {
        return report.unused(checkpoint.tensors().keySet(), prefix);
    }
}
