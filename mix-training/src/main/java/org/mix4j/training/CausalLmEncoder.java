package org.mix4j.training;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.mix4j.api.RgbImage;
import org.mix4j.pipelines.understanding.ImageSplice;
import org.mix4j.pipelines.understanding.PromptBuilder.Message;
import org.mix4j.training.ConversationData.Sample;
import org.mix4j.training.ConversationData.Turn;

/**
 * A conversation as the language model trains on it: written exactly as inference writes prompts
 * (the chat template or {@code prompt_template}, the same system prompt, the image placeholders
 * expanded to one token per image feature), with labels only on the assistant's tokens: each
 * reply's span is what its text adds to the prompt that precedes it. Prompt, image and padding
 * positions are {@link CausalLmLoss#IGNORE}.
 */
public final class CausalLmEncoder {

    /** One sample ready for the model. */
    public record Encoded(String where, long[] ids, long[] labels, List<RgbImage> images) {

        public int targets() {
            return (int) Arrays.stream(labels).skip(1).filter(l -> l != CausalLmLoss.IGNORE).count();
        }
    }

    private final CausalLmModel model;
    private final String placeholder;
    private final int maxLength;

    /** @param maxLength longest sample in tokens, images expanded (0: the model's context) */
    public CausalLmEncoder(CausalLmModel model, String placeholder, int maxLength) {
        this.model = model;
        this.placeholder = placeholder;
        this.maxLength = maxLength > 0 ? maxLength : model.llm().maxPositions();
    }

    public Encoded encode(Sample sample) {
        if (!model.hasVision() && !sample.images().isEmpty()) {
            throw new IllegalArgumentException(sample.where() + ": a sample with images, but a task: text pipeline has "
                    + "no vision encoder (train a task: understanding pipeline on image samples)");
        }
        List<RgbImage> images = new ArrayList<>();
        for (var p : sample.images()) {
            images.add(JsonRecords.image(sample.where(), p));
        }
        String system = null;
        List<Message> messages = new ArrayList<>();
        int written = 0;
        for (Turn t : sample.turns()) {
            if (t.role().equals("system")) {
                system = t.text();
                continue;
            }
            int here = t.role().equals("user") && model.hasVision() ? count(t.text()) : 0;
            written += here;
            messages.add(new Message(t.role(), t.text(), here));
        }
        if (written == 0 && !images.isEmpty()) { // no placeholder written: every image goes with the first user message
            int first = firstUser(messages, sample);
            Message m = messages.get(first);
            messages.set(first, new Message(m.role(), m.text(), images.size()));
        } else if (written != images.size()) {
            throw new IllegalArgumentException(sample.where() + ": the messages hold " + written + " image placeholder(s) '"
                    + placeholder + "' but the sample has " + images.size() + " image(s)");
        }
        CausalLmModel.Prompts prompts = model.prompts();
        long[] ids;
        List<int[]> spans = new ArrayList<>();
        try {
            ids = prompts.encode(messages, system, false);
            for (int i = 0; i < messages.size(); i++) {
                if (messages.get(i).role().equals("assistant")) {
                    int start = prompts.encode(messages.subList(0, i), system, true).length;
                    int end = prompts.encode(messages.subList(0, i + 1), system, false).length;
                    spans.add(new int[] {start, end});
                }
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(sample.where() + ": " + e.getMessage(), e);
        }
        long[] labels = new long[ids.length];
        Arrays.fill(labels, CausalLmLoss.IGNORE);
        for (int[] span : spans) {
            for (int i = span[0]; i < Math.min(span[1], ids.length); i++) {
                labels[i] = ids[i];
            }
        }
        int[] counts = images.stream().mapToInt(im -> model.vision().tokens(im.width(), im.height())).toArray();
        long imageToken = model.imageTokenId();
        long[] expanded = ImageSplice.expand(ids, imageToken, counts);
        long[] expandedLabels = new long[expanded.length];
        for (int i = 0, j = 0, image = 0; i < ids.length; i++) {
            int n = ids[i] == imageToken ? counts[image++] : 1;
            for (int k = 0; k < n; k++) {
                expandedLabels[j++] = ids[i] == imageToken ? CausalLmLoss.IGNORE : labels[i];
            }
        }
        if (expanded.length > maxLength) {
            int lastImage = -1;
            for (int i = 0; i < expanded.length; i++) {
                if (expanded[i] == imageToken) {
                    lastImage = i;
                }
            }
            if (lastImage >= maxLength) {
                throw new IllegalArgumentException(sample.where() + ": " + expanded.length + " tokens with its images; "
                        + "max_length " + maxLength + " would cut an image (raise max_length or use fewer images)");
            }
            expanded = Arrays.copyOf(expanded, maxLength);
            expandedLabels = Arrays.copyOf(expandedLabels, maxLength);
        }
        return new Encoded(sample.where(), expanded, expandedLabels, images);
    }

    private int count(String text) {
        int n = 0;
        for (int i = text.indexOf(placeholder); i >= 0; i = text.indexOf(placeholder, i + placeholder.length())) {
            n++;
        }
        return n;
    }

    private static int firstUser(List<Message> messages, Sample sample) {
        for (int i = 0; i < messages.size(); i++) {
            if (messages.get(i).role().equals("user")) {
                return i;
            }
        }
        throw new IllegalArgumentException(sample.where() + ": images but no human message to attach them to");
    }
}
