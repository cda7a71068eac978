package org.mix4j.pipelines.understanding;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mix4j.api.Tokenizer;
import org.mix4j.config.ConfigException;
import org.mix4j.config.ConfigNode.Origin;

/**
 * Writes the text of a multimodal prompt with one placeholder per image: through a plain
 * {@code prompt_template} when the YAML gives one, else through the checkpoint's chat template with
 * llava-hf style messages (content as a list of {@code image} and {@code text} parts), falling back
 * to plain-string content for templates that want one.
 */
public final class PromptBuilder {

    private final String template;
    private final String systemPrompt;
    private final String placeholder;
    private final Origin origin;

    /**
     * @param template {@code prompt_template} ({@code {prompt}}, {@code {system}} and optional
     *     {@code {image}} are substituted), or {@code null} for the chat template
     * @param origin where {@code prompt_template} is (or would be) written, for errors
     */
    public PromptBuilder(String template, String systemPrompt, String placeholder, Origin origin) {
        this.template = template;
        this.systemPrompt = systemPrompt;
        this.placeholder = placeholder;
        this.origin = origin;
    }

    /** One message of a conversation; {@code images} counts the images sent with a user message. */
    public record Message(String role, String text, int images) {}

    /** The prompt text for {@code userText} about {@code images} images. */
    public String build(String userText, int images, Tokenizer tokenizer) {
        return build(List.of(new Message("user", userText, images)), null, tokenizer);
    }

    /**
     * The prompt text for a conversation whose last message is the user's, with the generation
     * prompt for the reply.
     *
     * @param system the system prompt, or {@code null} for the configured one
     */
    public String build(List<Message> conversation, String system, Tokenizer tokenizer) {
        return build(conversation, system, tokenizer, true);
    }

    /**
     * The text of a conversation; with {@code generationPrompt} the prompt for the next reply is
     * appended (what inference reads), without it the conversation ends where its last message
     * ends (what training reads, a reply included). With a plain {@code prompt_template} the
     * generation prompt is part of each user turn, so the flag changes nothing there.
     */
    public String build(List<Message> conversation, String system, Tokenizer tokenizer, boolean generationPrompt) {
        String systemText = system != null ? system : systemPrompt;
        int images = 0;
        int[] written = new int[conversation.size()];
        for (int i = 0; i < conversation.size(); i++) {
            Message m = conversation.get(i);
            written[i] = count(text(m), placeholder);
            if (written[i] != 0 && written[i] != m.images()) {
                throw new IllegalArgumentException("the prompt has " + written[i] + " image placeholder(s) '" + placeholder
                        + "' but " + m.images() + " image(s) were given");
            }
            images += m.images();
        }
        if (template != null) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < conversation.size(); i++) {
                Message m = conversation.get(i);
                if (m.role().equals("user")) {
                    sb.append(fillTemplate(text(m), m.images(), written[i], systemText));
                } else if (m.role().equals("assistant")) {
                    sb.append(text(m)); // each earlier reply follows its turn, as task: text writes it
                }
            }
            return sb.toString();
        }
        if (!tokenizer.hasChatTemplate()) {
            throw new ConfigException(origin, "prompt_template", "the tokenizer has no chat template; set a "
                    + "plain prompt_template such as \"USER: {prompt} ASSISTANT:\"", null);
        }
        // parts for the user and plain text for replies, else llava-hf style parts everywhere, else
        // plain strings with the placeholders in the text: the first that writes every image and every
        // reply's text (not a printed list of parts) is the template's format
        String rendered = null;
        RuntimeException failure = null;
        for (int mode : new int[] {1, 0, 2}) {
            try {
                String candidate = tokenizer.applyChatTemplate(messages(conversation, systemText, written, mode),
                        generationPrompt);
                rendered = candidate;
                if (count(candidate, placeholder) == images && holdsReplies(candidate, conversation)) {
                    break;
                }
            } catch (RuntimeException e) {
                failure = failure == null ? e : failure;
            }
        }
        if (rendered == null) {
            throw failure;
        }
        if (count(rendered, placeholder) != images) {
            throw new IllegalArgumentException("the chat template wrote " + count(rendered, placeholder)
                    + " image placeholder(s) for " + images + " image(s); set prompt_template to control the prompt");
        }
        return rendered;
    }

    private String fillTemplate(String text, int images, int written, String systemText) {
        String withImages = written == 0 && !template.contains("{image}") ? placeholders(images) + text : text;
        return template.replace("{image}", written == 0 ? placeholders(images) : "")
                .replace("{system}", systemText == null ? "" : systemText)
                .replace("{prompt}", withImages);
    }

    /** Chat-template messages: content as llava-hf style parts, or as plain strings with placeholders in the text. */
    /** @param mode 0: parts everywhere, 1: parts for user messages only, 2: plain strings */
    private List<Map<String, Object>> messages(List<Message> conversation, String systemText, int[] written,
            int mode) {
        List<Map<String, Object>> messages = new ArrayList<>();
        if (systemText != null) {
            messages.add(message("system", systemText));
        }
        for (int i = 0; i < conversation.size(); i++) {
            Message m = conversation.get(i);
            String text = text(m);
            boolean asParts = mode == 0 || mode == 1 && !m.role().equals("assistant");
            if (asParts) {
                Map<String, Object> msg = new LinkedHashMap<>();
                msg.put("role", m.role());
                msg.put("content", parts(text, m.images(), written[i]));
                messages.add(msg);
            } else {
                messages.add(message(m.role(), written[i] == 0 && m.images() > 0 ? placeholders(m.images()) + text : text));
            }
        }
        return messages;
    }

    /** Whether every reply's text appears in {@code rendered} (a template may ignore a content format it does not expect). */
    private static boolean holdsReplies(String rendered, List<Message> conversation) {
        return conversation.stream().filter(m -> m.role().equals("assistant"))
                .allMatch(m -> text(m).isBlank() || rendered.contains(text(m).strip()))
                && !rendered.contains("{'type': '") && !rendered.contains("{\"type\": \"");
    }

    private static String text(Message m) {
        return m.text() == null ? "" : m.text();
    }

    /** Content parts: the user's placeholders become image parts in place; else images come first. */
    private List<Map<String, Object>> parts(String text, int images, int written) {
        List<Map<String, Object>> parts = new ArrayList<>();
        if (written == 0) {
            for (int i = 0; i < images; i++) {
                parts.add(Map.of("type", "image"));
            }
            parts.add(textPart(text));
            return parts;
        }
        String[] pieces = text.split(java.util.regex.Pattern.quote(placeholder), -1);
        for (int i = 0; i < pieces.length; i++) {
            if (!pieces[i].isEmpty()) {
                parts.add(textPart(pieces[i]));
            }
            if (i < pieces.length - 1) {
                parts.add(Map.of("type", "image"));
            }
        }
        return parts;
    }

    private String placeholders(int images) {
        return (placeholder + "\n").repeat(images);
    }

    private static Map<String, Object> textPart(String text) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "text");
        m.put("text", text);
        return m;
    }

    private static Map<String, Object> message(String role, String content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }

    static int count(String text, String token) {
        int n = 0;
        for (int i = text.indexOf(token); i >= 0; i = text.indexOf(token, i + token.length())) {
            n++;
        }
        return n;
    }
}
