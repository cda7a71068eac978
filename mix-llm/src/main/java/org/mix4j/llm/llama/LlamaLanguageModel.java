package org.mix4j.llm.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mix4j.api.KvCache;
import org.mix4j.api.LanguageModel;
import org.mix4j.api.LastTokenLogits;
import org.mix4j.api.LmOutput;
import org.mix4j.api.Quantizable;
import org.mix4j.api.Trainable;
import org.mix4j.llm.layers.RotaryEmbedding.CosSin;
import org.mix4j.llm.layers.RotaryEmbedding;
import org.mix4j.llm.layers.StaticKvCache;
import org.mix4j.nn.Attention;
import org.mix4j.nn.AttentionMasks;
import org.mix4j.nn.Autograd;
import org.mix4j.nn.CallAdapters;
import org.mix4j.nn.Linear;
import org.mix4j.nn.RmsNorm;
import org.mix4j.tensor.Int8Matrix;
import org.mix4j.tensor.PackedMatrix;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.tensor.WeightFormat;
import org.mix4j.weights.Weights;

/**
 * The LLaMA-family decoder (LLaMA, Touvron et al. 2023; Qwen2; Mistral), following transformers'
 * {@code modeling_llama.py} / {@code modeling_qwen2.py} / {@code modeling_mistral.py} (v4.47, eager
 * attention): token embedding, N x [RMSNorm, rotary grouped-query self-attention, residual,
 * RMSNorm, SwiGLU MLP, residual], final RMSNorm, LM head (separate or tied to the embedding).
 * q/k/v and gate/up projections are fused into one matrix each at load time.
 */
public final class LlamaLanguageModel implements LanguageModel, LastTokenLogits, Trainable, Quantizable {

    /**
     * {@code -Dmix.llm.engine_decode=true}: decode steps of a packed model (int8, fp16, fp32) run through
     * the engine's ops as prefill does, instead of {@link JavaDecodeStep} (to compare the two).
     */
    public static final String ENGINE_DECODE_PROPERTY = "mix.llm.engine_decode";

    private final LlamaConfig config;
    private final NDManager manager;
    private final DataType dtype;
    private volatile NDArray embedTokens; // [V, D]; null once quantized
    private volatile PackedMatrix embedPacked; // [V, D] once quantized (the LM head's when tied)
    private final List<DecoderLayer> layers = new ArrayList<>();
    private final RmsNorm norm;
    private final Linear lmHead;
    private final RotaryEmbedding rotaryEmb;
    private final Map<String, Projection> projections;
    private final TensorParallel parallel;
    private volatile JavaDecodeStep javaStep; // built on the first decode step once every projection is packed
    private final java.util.concurrent.atomic.AtomicLong javaSteps = new java.util.concurrent.atomic.AtomicLong();

    public LlamaLanguageModel(LlamaConfig config, Weights weights, NDManager manager, DataType dtype,
            TensorParallel parallel) {
        this.config = config;
        this.manager = manager;
        this.dtype = dtype;
        this.parallel = parallel;
        long vocab = config.vocabSize();
        long hidden = config.hiddenSize();
        if (weights.preQuantized("model.embed_tokens.weight")) { // written by mix quantize: int8 values, row scales
            try (NDArray values = weights.get("model.embed_tokens.weight", new Shape(vocab, hidden));
                    NDArray scales = weights.get("model.embed_tokens.weight_scale", new Shape(vocab))) {
                this.embedPacked = Int8Matrix.of("model.embed_tokens", values, scales);
            } catch (IllegalArgumentException e) {
                throw new org.mix4j.weights.CheckpointException(weights.source() + ": " + e.getMessage());
            }
        } else {
            this.embedTokens = weights.get("model.embed_tokens.weight", new Shape(vocab, hidden));
        }
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            layers.add(new DecoderLayer(config, weights, "model.layers." + i + ".", parallel));
        }
        this.norm = RmsNorm.load(weights, "model.norm", hidden, config.rmsNormEps());
        this.lmHead = !config.tieWordEmbeddings() ? Linear.load(weights, "lm_head", hidden, vocab, false, parallel)
                : embedPacked != null ? Linear.of(embedPacked, manager, dtype, parallel) : Linear.of(embedTokens, null, parallel);
        this.rotaryEmb = new RotaryEmbedding(config.resolvedHeadDim(), config.ropeTheta(), config.rope());
        this.projections = weights.report().projectionsUnder(weights.prefix()); // what Linear recorded as it loaded
    }

    public LlamaConfig config() {
        return config;
    }

    /** How many forward calls ran as a decode step on Java arrays ({@link JavaDecodeStep}) so far. */
    public long javaDecodeSteps() {
        return javaSteps.get();
    }

    /**
     * Every projection, the LM head and the embedding table packed in {@code format}; a tied
     * embedding shares the LM head's table, and a lookup widens just the rows it gathers.
     */
    @Override
    public synchronized void quantize(WeightFormat format) {
        for (DecoderLayer layer : layers) { // each does nothing when it is packed already (a pre-quantized checkpoint)
            layer.selfAttn.qkvProj.quantize(format);
            layer.selfAttn.oProj.quantize(format);
            layer.mlp.quantize(format);
        }
        lmHead.quantize(format); // tied: this frees embedTokens, the same array
        if (embedPacked != null) {
            return;
        }
        if (config.tieWordEmbeddings()) {
            embedPacked = lmHead.packed();
        } else {
            embedPacked = format.pack("model.embed_tokens.weight", embedTokens);
            embedTokens.close();
        }
        embedTokens = null;
    }

    @Override
    public Map<String, NDArray> parameters() {
        if (embedPacked != null) {
            String kind = embedPacked.kind();
            throw new IllegalStateException("this " + config.modelType() + " model is quantized to " + kind + " (quantize: " + kind + ") "
                    + "and cannot be trained; load it without quantize");
        }
        Map<String, NDArray> out = new LinkedHashMap<>();
        out.put("model.embed_tokens.weight", embedTokens);
        for (int i = 0; i < layers.size(); i++) {
            layers.get(i).parameters("model.layers." + i + ".", out);
        }
        out.put("model.norm.weight", norm.weight());
        if (!config.tieWordEmbeddings()) {
            out.put("lm_head.weight", lmHead.weight());
        }
        return out;
    }

    /** q/k/v, o, gate/up (unsharded) and down of every layer, and a separate lm_head. */
    @Override
    public Map<String, Projection> projections() {
        return projections;
    }

    @Override
    public NDArray embed(NDArray inputIds) {
        if (inputIds.getShape().dimension() != 2) {
            throw new IllegalArgumentException("input ids must be [B, T], got " + inputIds.getShape());
        }
        NDArray ids = inputIds.getDataType() == DataType.INT64 ? inputIds : inputIds.toType(DataType.INT64, false);
        if (ids.size() > 0) {
            long max = ids.max().getLong();
            long min = ids.min().getLong();
            if (min < 0 || max >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + (min < 0 ? min : max) + " is outside the vocabulary [0, "
                        + config.vocabSize() + ")");
            }
        }
        PackedMatrix table = embedPacked;
        if (table != null) {
            NDArray rows = table.gather(inputIds.getManager(), ids.toLongArray()) // [B * T, D]
                    .reshape(ids.getShape().get(0), ids.getShape().get(1), config.hiddenSize()); // [B, T, D]
            return rows.getDataType() == dtype ? rows : rows.toType(dtype, false);
        }
        return embedTokens.get(inputIds.getManager(), new NDIndex("{}", ids)); // [B, T, D]
    }

    @Override
    public LmOutput forward(NDArray inputsEmbeds, NDArray positionIds, NDArray attentionMask, KvCache cache) {
        return run(inputsEmbeds, positionIds, attentionMask, cache, false);
    }

    @Override
    public LmOutput forwardLastToken(NDArray inputsEmbeds, NDArray positionIds, NDArray attentionMask,
            KvCache cache) {
        return run(inputsEmbeds, positionIds, attentionMask, cache, true);
    }

    private LmOutput run(NDArray embeds, NDArray positionIds, NDArray attentionMask, KvCache cache,
            boolean lastOnly) {
        Shape shape = embeds.getShape();
        if (shape.dimension() != 3 || shape.get(2) != config.hiddenSize()) {
            throw new IllegalArgumentException("inputs_embeds must be [B, T, " + config.hiddenSize() + "], got " + shape);
        }
        int b = (int) shape.get(0);
        int t = (int) shape.get(1);
        if (!positionIds.getShape().equals(new Shape(b, t))) {
            throw new IllegalArgumentException("position ids must be [" + b + ", " + t + "], got " + positionIds.getShape());
        }
        StaticKvCache kv = ownCache(cache);
        int past = kv == null ? 0 : kv.length();
        if (kv != null) {
            kv.checkRoom(b, t);
        }
        NDManager caller = embeds.getManager();
        if (t == 1 && kv != null && b <= PackedMatrix.KERNEL_ROWS && embeds.getDataType() == DataType.FLOAT32
                && !embeds.hasGradient() && !Autograd.recording() && !CallAdapters.anyOpen()
                && !Boolean.getBoolean(ENGINE_DECODE_PROPERTY)) {
            JavaDecodeStep java = javaStep();
            ByteBuffer[] inPlace = java == null ? null : kv.inPlace();
            if (inPlace != null) {
                return decodeInJava(java, embeds, positionIds, attentionMask, kv, inPlace, b, past);
            }
        }
        try (NDManager step = caller.newSubManager()) {
            step.tempAttachAll(attentionMask == null ? new NDArray[] {embeds, positionIds}
                    : new NDArray[] {embeds, positionIds, attentionMask});
            NDArray mask = AttentionMasks.decoding(step, attentionMask, b, past, t, config.window());
            CosSin cs = rotaryEmb.compute(positionIds).to(dtype); // cast once per forward, not per layer
            NDArray h = embeds;
            for (int i = 0; i < layers.size(); i++) {
                h = layers.get(i).forward(h, cs, mask, kv, i, step);
            }
            h = norm.forward(h);
            if (lastOnly) {
                h = h.get(new NDIndex(":, -1:, :")); // [B, 1, D]
            }
            NDArray logits = lmHead.forward(h); // [B, T or 1, V]
            if (logits.getDataType() == DataType.FLOAT16) { // half logits widen, as transformers' logits.float()
                logits = logits.toType(DataType.FLOAT32, false);
            }
            if (kv != null) {
                kv.advance(t);
            }
            logits.attach(caller);
            h.attach(caller);
            return new LmOutput(logits, h);
        }
    }

    /** A one-position step of a packed model on Java arrays ({@link JavaDecodeStep}); the same outputs as {@link #run}. */
    private LmOutput decodeInJava(JavaDecodeStep javaStep, NDArray embeds, NDArray positionIds, NDArray attentionMask,
            StaticKvCache kv, ByteBuffer[] inPlace, int b, int past) {
        NDManager caller = embeds.getManager();
        float[] x = embeds.toFloatArray(); // [B, 1, D]
        long[] positions = positionIds.getDataType() == DataType.INT64 ? positionIds.toLongArray()
                : positionIds.toType(DataType.INT64, false).toLongArray();
        float[] mask = null; // no padding and inside the window: every cached position is seen, no mask
        if (attentionMask != null || (config.window() > 0 && past + 1 > config.window())) {
            try (NDManager scratch = caller.newSubManager()) {
                mask = AttentionMasks.decoding(scratch, attentionMask, b, past, 1, config.window()).toFloatArray();
            }
        }
        JavaDecodeStep.Output out = javaStep.run(x, b, positions, mask, inPlace, kv.capacity(), past);
        kv.advance(1);
        javaSteps.incrementAndGet();
        NDArray logits = caller.create(out.logits(), new Shape(b, 1, config.vocabSize()));
        NDArray hidden = caller.create(out.hidden(), new Shape(b, 1, config.hiddenSize()));
        return new LmOutput(logits, hidden);
    }

    /**
     * The Java decode step once every projection, the LM head and the embedding are packed (int8,
     * fp16 or fp32) in a float32 model; else {@code null}.
     */
    private JavaDecodeStep javaStep() {
        JavaDecodeStep step = javaStep;
        if (step != null || embedPacked == null || dtype != DataType.FLOAT32 || lmHead.packed() == null) {
            return step;
        }
        synchronized (this) {
            if (javaStep != null) {
                return javaStep;
            }
            JavaDecodeStep.Layer[] javaLayers = new JavaDecodeStep.Layer[layers.size()];
            for (int i = 0; i < javaLayers.length; i++) {
                DecoderLayer layer = layers.get(i);
                javaLayers[i] = JavaDecodeStep.Layer.of(layer.inputLayernorm, layer.selfAttn.qkvProj, layer.selfAttn.oProj,
                        layer.postAttentionLayernorm, layer.mlp.gateUpProj, layer.mlp.downProj);
                if (javaLayers[i] == null) {
                    return null;
                }
            }
            javaStep = new JavaDecodeStep(config, javaLayers, norm.weight().toFloatArray(), lmHead.packed(),
                    rotaryEmb.inverseFrequencies(), parallel);
            return javaStep;
        }
    }

    private static StaticKvCache ownCache(KvCache cache) {
        if (cache == null || cache instanceof StaticKvCache) {
            return (StaticKvCache) cache;
        }
        throw new IllegalArgumentException("this model needs a cache from its own newCache(), got " + cache.getClass());
    }

    @Override
    public KvCache newCache(NDManager cacheManager, int batch, int capacity) {
        return new StaticKvCache(cacheManager, layers.size(), batch, config.kvHeads(), capacity,
                config.resolvedHeadDim(), dtype);
    }

    @Override
    public int hiddenSize() {
        return config.hiddenSize();
    }

    @Override
    public int vocabSize() {
        return config.vocabSize();
    }

    @Override
    public int maxPositions() {
        return config.maxPositionEmbeddings();
    }

    @Override
    public void close() {
        manager.close();
    }

    /** Pre-norm block: {@code h = x + attn(norm(x)); out = h + mlp(norm(h))}. */
    static final class DecoderLayer {
        private final RmsNorm inputLayernorm;
        private final SelfAttention selfAttn;
        private final RmsNorm postAttentionLayernorm;
        private final Mlp mlp;

        DecoderLayer(LlamaConfig c, Weights w, String prefix, TensorParallel parallel) {
            inputLayernorm = RmsNorm.load(w, prefix + "input_layernorm", c.hiddenSize(), c.rmsNormEps());
            selfAttn = new SelfAttention(c, w, prefix + "self_attn.", parallel);
            postAttentionLayernorm = RmsNorm.load(w, prefix + "post_attention_layernorm", c.hiddenSize(), c.rmsNormEps());
            mlp = new Mlp(c, w, prefix + "mlp.", parallel);
        }

        void parameters(String prefix, Map<String, NDArray> out) {
            out.put(prefix + "input_layernorm.weight", inputLayernorm.weight());
            out.put(prefix + "post_attention_layernorm.weight", postAttentionLayernorm.weight());
            selfAttn.parameters(prefix + "self_attn.", out);
            mlp.parameters(prefix + "mlp.", out);
        }

        NDArray forward(NDArray x, CosSin cs, NDArray mask, StaticKvCache cache, int index, NDManager step) {
            NDArray h = x.add(selfAttn.forward(inputLayernorm.forward(x), cs, mask, cache, index, step));
            return Autograd.addi(h, mlp.forward(postAttentionLayernorm.forward(h)));
        }
    }

    /** Rotary grouped-query self-attention with fused q/k/v. */
    static final class SelfAttention {
        private final Linear qkvProj; // q_proj | k_proj | v_proj
        private final Linear oProj;
        private final int heads;
        private final int kvHeads;
        private final int headDim;

        SelfAttention(LlamaConfig c, Weights w, String prefix, TensorParallel parallel) {
            heads = c.numAttentionHeads();
            kvHeads = c.kvHeads();
            headDim = c.resolvedHeadDim();
            long q = (long) heads * headDim;
            long kv = (long) kvHeads * headDim;
            qkvProj = Linear.fused(w, List.of(prefix + "q_proj", prefix + "k_proj", prefix + "v_proj"), c.hiddenSize(),
                    new long[] {q, kv, kv}, c.qkvBias(), parallel);
            oProj = Linear.load(w, prefix + "o_proj", q, c.hiddenSize(), c.outputBias(), parallel);
        }

        /** {@code q_proj}, {@code k_proj}, {@code v_proj} (views of the fused matrix's rows) and {@code o_proj}. */
        void parameters(String prefix, Map<String, NDArray> out) {
            qkvProj.parameters(List.of(prefix + "q_proj", prefix + "k_proj", prefix + "v_proj"), out);
            oProj.parameters(prefix + "o_proj", out);
        }

        NDArray forward(NDArray x, CosSin cs, NDArray mask, StaticKvCache cache, int index, NDManager step) {
            long b = x.getShape().get(0);
            long t = x.getShape().get(1);
            long qWidth = (long) heads * headDim;
            long kvWidth = (long) kvHeads * headDim;
            NDList qkAndV = qkvProj.forward(x).split(new long[] {qWidth + kvWidth}, 2); // [B, T, q | k], [B, T, v]
            // queries and keys rotate together, as H + kvH heads: one rotation per layer instead of two
            NDArray qk = RotaryEmbedding.apply(qkAndV.get(0).reshape(b, t, heads + kvHeads, headDim)
                    .transpose(0, 2, 1, 3), cs); // [B, H + kvH, T, D]
            NDList split = qk.split(new long[] {heads}, 1);
            NDArray q = split.get(0); // [B, H, T, D]
            NDArray k = split.get(1); // [B, kvH, T, D]
            NDArray v = qkAndV.get(1).reshape(b, t, kvHeads, headDim).transpose(0, 2, 1, 3); // [B, kvH, T, D]
            if (cache != null) {
                NDArray[] all = cache.update(index, k, v, step); // [B, kvH, past + T, D] each
                k = all[0];
                v = all[1];
            }
            return oProj.forward(Attention.mergeHeads(Attention.grouped(q, k, v, mask))); // [B, T, hidden]
        }
    }

    /**
     * SwiGLU feed-forward (Shazeer 2020): {@code down(silu(gate(x)) * up(x))}, gate/up fused. The
     * intermediate features are cut into shards, one per thread of the model's {@link TensorParallel}
     * (the weight layout follows the thread count it is loaded with): a thread
     * computes its shard's gate, up, activation and its part of the down projection, and the parts
     * are summed; a decode step then joins threads once per MLP instead of after each product.
     */
    static final class Mlp {
        private final Linear gateUpProj; // per shard: gate_proj rows | up_proj rows
        private final Linear downProj;
        private final long intermediate;
        private final NDArray[][] shardWeights; // per shard: gate|up [D, 2w], its bias or null, down [w, D]
        private volatile boolean quantized;

        Mlp(LlamaConfig c, Weights w, String prefix, TensorParallel parallel) {
            intermediate = c.intermediateSize();
            int ways = parallel.ways();
            int shards = ways > 1 && intermediate % ways == 0 ? ways : 1;
            gateUpProj = Linear.fusedShards(w, List.of(prefix + "gate_proj", prefix + "up_proj"), c.hiddenSize(),
                    intermediate, c.mlpBias(), shards, parallel);
            downProj = Linear.load(w, prefix + "down_proj", intermediate, c.hiddenSize(), c.mlpBias(), parallel);
            long width = intermediate / shards;
            shardWeights = new NDArray[shards][];
            quantized = gateUpProj.packed() != null || downProj.packed() != null; // stored pre-quantized (mix quantize)
            for (int s = 0; s < shards && shards > 1 && !quantized; s++) {
                shardWeights[s] = new NDArray[] {gateUpProj.rowsT(2 * width * s, 2 * width * (s + 1)),
                        gateUpProj.biasRows(2 * width * s, 2 * width * (s + 1)),
                        downProj.columnsT(width * s, width * (s + 1))};
            }
        }

        /**
         * {@code gate_proj}, {@code up_proj} (views of the fused rows) and {@code down_proj}. Listing
         * lays sharded weights out unsharded (see {@link Linear#parameters(List, Map)}): the MLP then
         * runs as one product.
         */
        void parameters(String prefix, Map<String, NDArray> out) {
            gateUpProj.parameters(List.of(prefix + "gate_proj", prefix + "up_proj"), out);
            downProj.parameters(prefix + "down_proj", out);
        }

        NDArray forward(NDArray x) {
            int shards = gateUpProj.shards();
            // the shards read views of the weights made at load, which autograd does not connect to
            // the weights, and skip down_proj's forward (so its adapters): training runs the product whole
            if (shards > 1 && !quantized && !Autograd.recording() && downProj.adapters().isEmpty()) {
                NDArray[] parts = TensorParallel.map(shards, s -> shard(x, s)); // [..., D] each
                NDArray y = parts[0];
                for (int s = 1; s < shards; s++) {
                    y.addi(parts[s]);
                    parts[s].close();
                }
                return downProj.addBias(y);
            }
            NDArray fused = gateUpProj.forward(x); // [..., gate | up], sharded: [..., gate_0 | up_0 | gate_1 | ...]
            int last = fused.getShape().dimension() - 1;
            NDList gateUp = fused.split(2L * shards, last);
            NDList act = new NDList();
            for (int s = 0; s < shards; s++) {
                act.add(Autograd.muli(silu(gateUp.get(2 * s)), gateUp.get(2 * s + 1))); // [..., intermediate / shards]
            }
            return downProj.forward(shards == 1 ? act.get(0) : NDArrays.concat(act, last)); // [..., D]
        }

        /** Shard {@code s}: its gate, up and activation, and its part of the down projection. */
        private NDArray shard(NDArray x, int s) {
            NDArray[] weights = shardWeights[s];
            NDArray gateUp = x.matMul(weights[0]); // [..., 2w]
            if (weights[1] != null) {
                gateUp.addi(weights[1]);
            }
            NDList halves = gateUp.split(2, gateUp.getShape().dimension() - 1);
            return silu(halves.get(0)).muli(halves.get(1)).matMul(weights[2]); // [..., D]
        }

        /** Both products packed; the shards' views of the float weights are closed so their memory goes too. */
        void quantize(WeightFormat format) {
            quantized = true;
            for (NDArray[] shard : shardWeights) {
                for (int i = 0; shard != null && i < shard.length; i++) {
                    if (shard[i] != null) {
                        shard[i].close();
                    }
                }
            }
            gateUpProj.quantize(format);
            downProj.quantize(format);
        }

        private static NDArray silu(NDArray gate) {
            return gate.div(Autograd.addi(gate.neg().exp(), 1)); // x / (1 + e^-x), as torch computes SiLU
        }
    }
}
