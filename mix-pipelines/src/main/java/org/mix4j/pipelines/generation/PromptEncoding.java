package org.mix4j.pipelines.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Collections;
import java.util.List;
import org.mix4j.api.TextEncoder;
import org.mix4j.api.Tokenizer;

/**
 * Section 1 of the pipeline, diffusers' {@code encode_prompt}: text to ids (padded to the model's
 * maximum length), ids to the text encoder's {@code last_hidden_state} (no attention mask, as SD
 * passes none), then each prompt's embedding repeated once per image.
 */
final class PromptEncoding {

    /**
     * The denoiser's conditioning, one row per image.
     *
     * @param cond {@code [N, T, D]}, prompt-major ({@code N = prompts x images per prompt})
     * @param uncond {@code [N, T, D]}, or {@code null} without classifier-free guidance
     */
    record Conditioning(NDArray cond, NDArray uncond) {
        long batch() {
            return cond.getShape().get(0);
        }
    }

    private PromptEncoding() {}

    /** Encodes the request's prompts; the results are attached to {@code manager}. */
    static Conditioning encode(GenerationRequest r, TextEncoder textEncoder, Tokenizer tokenizer, NDManager manager,
            GenerationObserver observer) {
        boolean cfg = r.classifierFreeGuidance();
        NDArray positive;
        NDArray negative = null;
        if (r.promptEmbeds != null) {
            positive = copy(r.promptEmbeds, manager);
            negative = !cfg || r.negativePromptEmbeds == null ? null : copy(r.negativePromptEmbeds, manager);
            if (cfg && negative == null) {
                negative = encodeIds(textEncoder, tokenize(tokenizer, textEncoder,
                        negatives(r.negativePrompts, (int) positive.getShape().get(0)), manager, "negative prompt"),
                        manager);
            }
        } else {
            NDArray ids = r.promptIds != null ? r.promptIds
                    : tokenize(tokenizer, textEncoder, r.prompts, manager, "prompt");
            positive = encodeIds(textEncoder, ids, manager);
            if (cfg) {
                NDArray negativeIds = r.negativePromptIds != null ? r.negativePromptIds
                        : tokenize(tokenizer, textEncoder, negatives(r.negativePrompts, (int) ids.getShape().get(0)),
                                manager, "negative prompt");
                negative = encodeIds(textEncoder, negativeIds, manager);
            }
        }
        if (negative != null && !negative.getShape().equals(positive.getShape())) {
            throw new IllegalArgumentException("negative prompt embeddings " + negative.getShape()
                    + " must have the shape of the prompt embeddings " + positive.getShape());
        }
        observer.promptEmbeds(positive, negative);
        NDArray cond = perImage(positive, r.imagesPerPrompt, manager);
        NDArray uncond = negative == null ? null : perImage(negative, r.imagesPerPrompt, manager);
        return new Conditioning(cond, uncond);
    }

    /** A copy in {@code manager}, so that nothing computed from it lands in the caller's manager. */
    private static NDArray copy(NDArray a, NDManager manager) {
        NDArray c = a.duplicate();
        c.attach(manager);
        return c;
    }

    /** The negative prompts: one per prompt; a single one is shared; none means "" (diffusers). */
    private static List<String> negatives(List<String> given, int prompts) {
        if (given == null) {
            return Collections.nCopies(prompts, "");
        }
        if (given.size() == 1) {
            return Collections.nCopies(prompts, given.get(0));
        }
        if (given.size() != prompts) {
            throw new IllegalArgumentException(given.size() + " negative prompts for " + prompts + " prompts");
        }
        return given;
    }

    /** int64 {@code [B, T]} padded to the shorter of the tokenizer's and the text encoder's maximum length. */
    static NDArray tokenize(Tokenizer tokenizer, TextEncoder textEncoder, List<String> texts, NDManager manager,
            String what) {
        if (tokenizer == null) {
            throw new IllegalArgumentException("a text " + what + " needs a 'tokenizer:' section (or give token ids)");
        }
        int maxLength = Math.min(textEncoder == null ? Integer.MAX_VALUE : textEncoder.maxPositions(),
                tokenizer.modelMaxLength());
        if (maxLength == Integer.MAX_VALUE) {
            throw new IllegalArgumentException("cannot tell how long the token rows must be: the tokenizer has no "
                    + "model_max_length and there is no text encoder");
        }
        long[][] ids = tokenizer.encodeBatch(texts, maxLength).ids();
        long[] flat = new long[ids.length * maxLength];
        for (int b = 0; b < ids.length; b++) {
            System.arraycopy(ids[b], 0, flat, b * maxLength, maxLength);
        }
        return manager.create(flat, new Shape(ids.length, maxLength));
    }

    /** {@code last_hidden_state [B, T, D]}, attached to {@code manager}; the other outputs are freed. */
    private static NDArray encodeIds(TextEncoder textEncoder, NDArray ids, NDManager manager) {
        if (textEncoder == null) {
            throw new IllegalArgumentException("token ids need a 'text_encoder:' section (or give prompt embeddings)");
        }
        try (NDManager scope = manager.newSubManager()) {
            ids.tempAttach(scope);
            NDArray hidden = textEncoder.encode(ids, null).lastHiddenState();
            hidden.attach(manager);
            return hidden;
        }
    }

    /** {@code [B, T, D]} -> {@code [B * n, T, D]}: each prompt's row {@code n} times in a row. */
    private static NDArray perImage(NDArray embeds, int n, NDManager manager) {
        if (n == 1) {
            return embeds;
        }
        Shape s = embeds.getShape();
        NDList copies = new NDList();
        for (int i = 0; i < n; i++) {
            copies.add(embeds);
        }
        try (NDManager scope = manager.newSubManager()) {
            embeds.tempAttach(scope);
            NDArray stacked = NDArrays.stack(copies, 1); // [B, n, T, D]
            NDArray out = stacked.reshape(s.get(0) * n, s.get(1), s.get(2)); // [B * n, T, D]
            out.attach(manager);
            return out;
        }
    }
}
