package org.mix4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.mix4j.api.Trainable;
import org.mix4j.tensor.PackedMatrix;
import org.mix4j.tensor.WeightFormat;
import org.mix4j.tensor.ParallelMatMul;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.weights.Weights;

/**
 * {@code torch.nn.Linear}: {@code y = x W^T + b}, weights {@code <name>.weight [out, in]} and
 * {@code <name>.bias [out]}. The product runs through {@link ParallelMatMul}, so a large one is split
 * over the threads of the {@link TensorParallel} it is loaded with. Several projections that read the
 * same input (q/k/v, gate/up) can be fused into one matrix at load time, so a decode step runs one
 * matrix product instead of three.
 *
 * <p>Training lists the checkpoint's tensors, not the fused matrix: {@link #parameters(List, java.util.Map)}
 * gives each projection's rows as a view of the fused weight and bias, under its own name and in its
 * checkpoint shape (a 1x1 convolution's kernel as {@code [out, in, 1, 1]}). While one of them requires
 * gradients, the training forward rebuilds the matrix from those views, so each receives its own
 * gradient; an optimizer's in-place update of a view writes into the fused matrix the inference
 * path reads.
 */
public final class Linear {

    private volatile NDArray weight; // [out, in] as stored; null once quantized
    private volatile ParallelMatMul weightT; // [in, out], a transposed view of it
    /** The weight packed on the Java heap once {@link #quantize} ran (or loaded so), else {@code null}. */
    private volatile PackedMatrix packed;
    private final TensorParallel parallel;
    private final DataType dataType;
    /** The checkpoint names of the weight ({@code model.layers.0.mlp.down_proj}), for messages; null when wrapped. */
    private String name;
    private final NDArray bias; // [out] or null
    private final long inFeatures;
    private final long outFeatures;
    private final List<Adapter> adapters = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Output rows of each checkpoint tensor in the fused weight, in order; one entry when not fused. */
    private final long[] widths;
    /** The shape the weight is stored under in the checkpoint when it is not {@code [out, in]}, or {@code null}. */
    private final Shape stored;
    /** Row-range shards of {@link #fusedShards}: more than one interleaves the projections. */
    private volatile int shards;
    /** Per checkpoint tensor once listed: its weight and bias (or {@code null}) as views, in checkpoint shape. */
    private volatile List<NDArray[]> listed;

    /**
     * A trainable low-rank update of some of the outputs (LoRA, Hu et al. 2021, with peft's
     * semantics): outputs {@code from .. to} gain {@code scaling * (x A^T) B^T}.
     *
     * @param a {@code [r, in]}
     * @param b {@code [to - from, r]}
     */
    public record Adapter(long from, long to, NDArray a, NDArray b, double scaling) {}

    private Linear(NDArray weight, NDArray bias, TensorParallel parallel) {
        this(weight, bias, null, null, 1, parallel);
    }

    private Linear(NDArray weight, NDArray bias, long[] widths, Shape stored, int shards, TensorParallel parallel) {
        this.widths = widths != null ? widths : new long[] {weight.getShape().get(0)};
        this.stored = stored;
        this.shards = shards;
        this.weight = weight;
        this.weightT = new ParallelMatMul(weight.transpose(), parallel);
        this.parallel = parallel;
        this.dataType = weight.getDataType();
        this.bias = bias;
        this.outFeatures = weight.getShape().get(0);
        this.inFeatures = weight.getShape().get(1);
    }

    /** Wraps tensors already loaded: an {@code [out, in]} matrix (a tied LM head, a 1x1 convolution's kernel). */
    public static Linear of(NDArray weight, NDArray bias, TensorParallel parallel) {
        return new Linear(weight, bias, parallel);
    }

    /**
     * Wraps a 1x1 convolution's {@code [out, in, 1, 1]} kernel (still open: the matrix is a view of it)
     * as the product on channels; {@link #parameters(String, java.util.Map)} lists it in that shape.
     */
    public static Linear ofKernel(NDArray kernel, NDArray bias, TensorParallel parallel) {
        Shape s = kernel.getShape();
        return new Linear(kernel.reshape(s.get(0), s.size() / s.get(0)), bias, null, s, 1, parallel);
    }

    /** Loads {@code name.weight} and {@code name.bias}. */
    public static Linear load(Weights weights, String name, long in, long out, TensorParallel parallel) {
        return load(weights, name, in, out, true, parallel);
    }

    /**
     * Loads {@code name.weight} {@code [out, in]} and, when {@code bias}, {@code name.bias}; {@code name}
     * may be empty for a bare {@code weight} / {@code bias} pair.
     */
    public static Linear load(Weights weights, String name, long in, long out, boolean bias,
            TensorParallel parallel) {
        return fused(weights, List.of(name), in, new long[] {out}, bias, parallel);
    }

    /**
     * Loads several projections of the same input and concatenates them along the output axis.
     * The output of {@link #forward} is then the projections side by side, in {@code names} order.
     */
    public static Linear fused(Weights weights, List<String> names, long in, long[] outs, boolean bias,
            TensorParallel parallel) {
        if (FusedWeights.preQuantized(weights, names)) {
            return FusedWeights.int8(weights, names, in, outs, bias, 1, parallel);
        }
        List<NDArray> ws = new ArrayList<>();
        List<NDArray> bs = new ArrayList<>();
        int missing = weights.report().missingCount();
        for (int i = 0; i < names.size(); i++) {
            String dot = names.get(i).isEmpty() ? "" : names.get(i) + ".";
            ws.add(weights.get(dot + "weight", new Shape(outs[i], in)));
            if (bias) {
                bs.add(weights.get(dot + "bias", new Shape(outs[i])));
            }
        }
        if (weights.report().missingCount() > missing) {
            return new Linear(FusedWeights.standIn(ws), bias ? FusedWeights.standIn(bs) : null, parallel);
        }
        Linear linear = new Linear(FusedWeights.concat(ws), bias ? FusedWeights.concat(bs) : null, outs.clone(), null, 1, parallel);
        linear.name = label(weights.prefix(), names);
        long from = 0;
        for (int i = 0; i < names.size(); i++) {
            weights.report().projection(weights.prefix() + names.get(i), new Trainable.Projection(linear, from, from + outs[i]));
            from += outs[i];
        }
        return linear;
    }

    /**
     * Like {@link #fused} for projections of equal width {@code out}, laid out in {@code shards}
     * equal row ranges: for each range, that range of every name in order ({@code gate[0:k], up[0:k],
     * gate[k:2k], up[k:2k]} for two names and two shards). One shard is {@link #fused}'s layout. A
     * thread can then compute its shard of every projection with one product ({@link #rowsT}).
     */
    public static Linear fusedShards(Weights weights, List<String> names, long in, long out, boolean bias, int shards,
            TensorParallel parallel) {
        if (shards < 1 || out % shards != 0) {
            throw new IllegalArgumentException("cannot cut " + out + " outputs into " + shards + " equal shards");
        }
        if (FusedWeights.preQuantized(weights, names)) {
            long[] outs = new long[names.size()];
            java.util.Arrays.fill(outs, out);
            return FusedWeights.int8(weights, names, in, outs, bias, shards, parallel);
        }
        List<NDArray> ws = new ArrayList<>();
        List<NDArray> bs = new ArrayList<>();
        int missing = weights.report().missingCount();
        for (String name : names) {
            ws.add(weights.get(name + ".weight", new Shape(out, in)));
            if (bias) {
                bs.add(weights.get(name + ".bias", new Shape(out)));
            }
        }
        if (weights.report().missingCount() > missing) {
            return new Linear(FusedWeights.standIn(ws), bias ? FusedWeights.standIn(bs) : null, parallel);
        }
        long[] widths = new long[names.size()];
        java.util.Arrays.fill(widths, out);
        Linear linear = new Linear(FusedWeights.interleave(ws, shards), bias ? FusedWeights.interleave(bs, shards) : null, widths, null, shards,
                parallel);
        linear.name = label(weights.prefix(), names);
        for (int i = 0; shards == 1 && i < names.size(); i++) { // sharded, a projection's rows interleave
            weights.report().projection(weights.prefix() + names.get(i), new Trainable.Projection(linear, out * i,
                    out * (i + 1)));
        }
        return linear;
    }

    /** {@code prefix + a}, or {@code prefix + a+b+c} for fused projections. */
    static String label(String prefix, List<String> names) {
        return prefix + String.join("+", names);
    }

    /** {@code [..., in]} -> {@code [..., out]}; the result lives in {@code x}'s manager. */
    public NDArray forward(NDArray x) {
        PackedMatrix q = packed;
        if (q != null) {
            if (x.hasGradient() || Autograd.recording()) {
                throw quantized("cannot train through it");
            }
            NDArray y = q.multiply(x, parallel);
            y = bias == null ? y : y.addi(bias);
            List<Adapter> perCall = CallAdapters.of(this); // a request's LoRA adds to the packed product too
            return perCall == null ? y : y.addi(LowRankSum.of(x, perCall, outFeatures));
        }
        boolean partsTrain = partsTrain();
        if (!adapters.isEmpty() || weight.hasGradient() || x.hasGradient() || partsTrain) {
            // training: one product on this thread (autograd records only where grad mode is on), from
            // the weight itself so its gradient is tracked; a view made from a weight would land in the
            // weights' manager and live as long as the model, so it moves to x's
            NDArray y = x.matMul(partsTrain ? rebuilt(x, 0) : view(weight.transpose(), x));
            NDArray b = partsTrain && bias != null ? rebuilt(x, 1) : bias;
            y = b == null ? y : y.add(b);
            y = adapters.isEmpty() ? y : y.add(LowRankSum.of(x, adapters, outFeatures));
            List<Adapter> perCall = CallAdapters.of(this);
            return perCall == null ? y : y.add(LowRankSum.of(x, perCall, outFeatures));
        }
        NDArray y = weightT.apply(x);
        y = bias == null ? y : y.addi(bias);
        List<Adapter> perCall = CallAdapters.of(this); // a request's LoRA (CallAdapters), unmerged
        return perCall == null ? y : y.addi(LowRankSum.of(x, perCall, outFeatures));
    }

    /** Whether a listed view of a checkpoint tensor (not the weight itself) requires gradients. */
    private boolean partsTrain() {
        List<NDArray[]> parts = listed;
        if (parts == null || (stored == null && parts.size() == 1)) {
            return false;
        }
        for (NDArray[] part : parts) {
            if (part[0].hasGradient() || (part[1] != null && part[1].hasGradient())) {
                return true;
            }
        }
        return false;
    }

    /**
     * The transposed weight ({@code which} 0: {@code [in, out]}) or the bias (1: {@code [out]})
     * concatenated from the listed views, recorded by autograd, in {@code x}'s manager.
     */
    private NDArray rebuilt(NDArray x, int which) {
        NDList parts = new NDList();
        for (int i = 0; i < widths.length; i++) {
            NDArray part = listed.get(i)[which];
            parts.add(view(which == 0 ? part.reshape(widths[i], inFeatures) : part.reshape(widths[i]), x));
        }
        NDArray joined = parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, 0); // in x's manager
        return which == 0 ? joined.transpose() : joined;
    }

    /** {@code fromWeight} moved into {@code x}'s manager (a view made from a weight lands in the weights' manager). */
    static NDArray view(NDArray fromWeight, NDArray x) {
        fromWeight.attach(x.getManager());
        return fromWeight;
    }

    /** Wraps a matrix already packed (a pre-quantized tied LM head); {@code type} is the model's float type. */
    public static Linear of(PackedMatrix q, ai.djl.ndarray.NDManager manager, DataType type, TensorParallel parallel) {
        return ofPacked(q, FusedWeights.zeros(manager, type, new Shape(q.outFeatures(), q.inFeatures())), null, null, 1,
                null, parallel);
    }

    /** A layer over a weight stored pre-quantized: a stand-in of no memory, replaced by {@code q} at once. */
    static Linear ofPacked(PackedMatrix q, NDArray standIn, NDArray bias, long[] widths, int shards, String name,
            TensorParallel parallel) {
        Linear linear = new Linear(standIn, bias, widths, null, shards, parallel);
        linear.name = name;
        linear.packed = q;
        linear.weightT.close();
        linear.weightT = null;
        linear.weight.close();
        linear.weight = null;
        return linear;
    }

    /**
     * Replaces the weight by its packed form on the Java heap ({@link WeightFormat#INT8}: one scale per
     * output row; {@link WeightFormat#FP16}: rounded to half precision; {@link WeightFormat#FP32}: as
     * it is) and frees the floating-point weight and
     * every view of it this linear made; the bias stays as it is. From then on {@link #forward} reads
     * the packed weights, and whatever needs the floating-point weight (training, adapters,
     * {@link #weight()}, row and column views) fails naming this layer. Views the caller took earlier
     * ({@link #rowsT}, {@link #columnsT}) keep their storage alive until the caller closes them. Doing
     * it again does nothing, also in another format.
     */
    public synchronized void quantize(WeightFormat format) {
        if (packed != null) {
            return;
        }
        if (!adapters.isEmpty()) {
            throw new IllegalStateException(describe() + " has LoRA adapters: merge or remove them before quantizing");
        }
        if (listed != null) {
            throw new IllegalStateException(describe() + " is listed for training and cannot be quantized");
        }
        packed = format.pack(describe(), weight);
        weightT.close();
        weightT = null;
        weight.close();
        weight = null;
    }

    /** The packed weight after {@link #quantize} (or a pre-quantized load), else {@code null}. */
    public PackedMatrix packed() {
        return packed;
    }

    /** The checkpoint name(s) of this linear for messages, or its shape when it was wrapped. */
    public String describe() {
        return name != null ? name : "the " + outFeatures + "x" + inFeatures + " linear";
    }

    private IllegalStateException quantized(String what) {
        String kind = packed == null ? "int8" : packed.kind(); // packed is set before the weight goes
        return new IllegalStateException(describe() + " is quantized to " + kind + " (quantize: " + kind + "): " + what
                + "; load it without quantize to train or adapt it");
    }

    /** The floating-point weight, or a clear error once quantized. */
    private NDArray floatWeight(String what) {
        NDArray w = weight;
        if (w == null) {
            throw quantized(what);
        }
        return w;
    }

    /** Adds a low-rank update; the forward then runs whole, on this thread (training). */
    public void adapt(Adapter adapter) {
        if (packed != null) {
            throw quantized("cannot add a LoRA adapter");
        }
        check(adapter);
        adapters.add(adapter);
    }

    /** Fails when {@code adapter} does not fit this projection's rows and input width. */
    public void check(Adapter adapter) {
        if (adapter.from() < 0 || adapter.to() > outFeatures || adapter.from() >= adapter.to()) {
            throw new IllegalArgumentException("adapter rows " + adapter.from() + ".." + adapter.to() + " outside 0.."
                    + outFeatures);
        }
        Shape a = adapter.a().getShape();
        Shape b = adapter.b().getShape();
        if (a.dimension() != 2 || a.get(1) != inFeatures || b.dimension() != 2 || b.get(0) != adapter.to() - adapter.from()
                || b.get(1) != a.get(0)) {
            throw new IllegalArgumentException("adapter A " + a + " and B " + b + " do not fit a " + inFeatures + " -> "
                    + (adapter.to() - adapter.from()) + " projection");
        }
    }

    /** Removes every adapter (back to the plain projection). */
    public void clearAdapters() {
        adapters.clear();
    }

    public List<Adapter> adapters() {
        return List.copyOf(adapters);
    }

    /** Outputs {@code from .. to} of the product, as a {@code [in, to - from]} view of the weight. */
    public NDArray rowsT(long from, long to) {
        try (NDArray rows = floatWeight("no row view").get(new NDIndex("{}:{}", from, to))) {
            return rows.transpose(); // the view closed: left open, it kept a quantized weight's fp32 storage alive
        }
    }

    /** The bias of outputs {@code from .. to} (a view), or {@code null} without bias. */
    public NDArray biasRows(long from, long to) {
        return bias == null ? null : bias.get(new NDIndex("{}:{}", from, to));
    }

    /**
     * The part of the product that reads inputs {@code from .. to}: a {@code [to - from, out]} view,
     * so that summing {@code x[..., from:to] · columnsT(from, to)} over a partition of the inputs
     * gives the product (without bias).
     */
    public NDArray columnsT(long from, long to) {
        try (NDArray columns = floatWeight("no column view").get(new NDIndex(":, {}:{}", from, to))) {
            return columns.transpose();
        }
    }

    /** Adds the bias (in place) to a product computed in parts; returns {@code y}. */
    public NDArray addBias(NDArray y) {
        return bias == null ? y : y.addi(bias);
    }

    /**
     * Puts {@code name.weight} and {@code name.bias} (when there is one) into {@code out}, the tensors
     * as {@link org.mix4j.api.Trainable#parameters()} lists them; {@code name} empty for a bare pair.
     */
    public void parameters(String name, java.util.Map<String, NDArray> out) {
        parameters(List.of(name), out);
    }

    /**
     * Puts each fused projection's {@code names[i].weight} and {@code .bias} into {@code out}: views of
     * its rows of the fused tensors, in the checkpoint's shape, the very arrays the training forward
     * reads (see the class comment). Interleaved shards ({@link #fusedShards}) are first laid out again
     * as the fused projections side by side (in place, once): the caller then computes unsharded.
     */
    public void parameters(List<String> names, java.util.Map<String, NDArray> out) {
        if (names.size() != widths.length) {
            throw new IllegalArgumentException(names + " name " + names.size() + " tensors; this linear holds "
                    + widths.length);
        }
        List<NDArray[]> parts = listed();
        for (int i = 0; i < names.size(); i++) {
            String dot = names.get(i).isEmpty() ? "" : names.get(i) + ".";
            out.put(dot + "weight", parts.get(i)[0]);
            if (parts.get(i)[1] != null) {
                out.put(dot + "bias", parts.get(i)[1]);
            }
        }
    }

    private synchronized List<NDArray[]> listed() {
        if (listed != null) {
            return listed;
        }
        floatWeight("no parameters to list for training");
        unshard();
        List<NDArray[]> parts = new ArrayList<>();
        if (widths.length == 1) {
            parts.add(new NDArray[] {stored == null ? weight : weight.reshape(stored), bias});
        } else {
            long from = 0;
            for (long width : widths) {
                NDIndex rows = new NDIndex("{}:{}", from, from + width);
                parts.add(new NDArray[] {weight.get(rows), bias == null ? null : bias.get(rows)}); // views
                from += width;
            }
        }
        listed = List.copyOf(parts);
        return listed;
    }

    /** Rewrites interleaved shards in place as the projections side by side ({@link #fused}'s layout). */
    private void unshard() {
        if (shards == 1) {
            return;
        }
        for (NDArray t : bias == null ? new NDArray[] {weight} : new NDArray[] {weight, bias}) {
            long width = widths[0] / shards;
            NDList byName = new NDList();
            for (int i = 0; i < widths.length; i++) {
                NDList pieces = new NDList();
                for (int s = 0; s < shards; s++) {
                    long at = (s * widths.length + i) * width;
                    pieces.add(t.get(new NDIndex("{}:{}", at, at + width)));
                }
                byName.add(NDArrays.concat(pieces, 0));
                pieces.close();
            }
            try (NDArray side = NDArrays.concat(byName, 0)) {
                t.set(new NDIndex(":"), side);
            }
            byName.close();
        }
        shards = 1;
    }

    /** How many interleaved row shards the weight is laid out in (1 once listed, see {@link #parameters(List, java.util.Map)}). */
    public int shards() {
        return shards;
    }

    /** All outputs of this linear as one checkpoint module's, for {@link org.mix4j.api.Trainable#projections()}. */
    public Trainable.Projection whole() {
        return new Trainable.Projection(this, 0, outFeatures);
    }

    /** The {@code [out, in]} weight as loaded (fused projections side by side). */
    public NDArray weight() {
        return floatWeight("its floating-point weight is freed");
    }

    /** The {@code [out]} bias, or {@code null}. */
    public NDArray bias() {
        return bias;
    }

    public long inFeatures() {
        return inFeatures;
    }

    public long outFeatures() {
        return outFeatures;
    }

    /** The type of the weight, which inputs must have. */
    public DataType dataType() {
        return dataType;
    }
}
