package org.mix4j.llm.tokenizer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.objects.date.StrftimeFormatter;
import java.time.ZonedDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import jinjava.javax.el.CompositeELResolver;

/**
 * A Hugging Face chat template (Jinja2) rendered with Jinjava, set up like transformers'
 * {@code apply_chat_template}: {@code trim_blocks} and {@code lstrip_blocks}, the variables
 * {@code messages}, {@code add_generation_prompt}, {@code bos_token}, {@code eos_token} (and any
 * others given), the functions {@code raise_exception} and {@code strftime_now}, a Python-style
 * {@code tojson}, and Python string methods. A template that still cannot be rendered fails with a
 * message pointing at {@code prompt_template}.
 */
public final class ChatTemplate {

    private static final ThreadLocal<String> RAISED = new ThreadLocal<>();

    private final String source;
    private final String template;
    private final Jinjava jinjava;

    /** @param source where the template came from, for messages ({@code .../tokenizer_config.json}) */
    public ChatTemplate(String template, String source) {
        this.template = template;
        this.source = source;
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStringMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        // Jinja2 behaviour where Jinjava's defaults differ: {{- -}} trimming, Python operator
        // precedence, iterating a dict yields its keys, dict literal keys are expressions
        LegacyOverrides jinja2 = LegacyOverrides.newBuilder().withUseTrimmingForNotesAndExpressions(true)
                .withUseNaturalOperatorPrecedence(true).withIterateOverMapKeys(true).withEvaluateMapKeys(true)
                .withKeepNullableLoopValues(true).withParseWhitespaceControlStrictly(true).build();
        this.jinjava = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true)
                .withLegacyOverrides(jinja2).withElResolver(resolver).build());
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", ChatTemplate.class,
                "raiseException", String.class));
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now", ChatTemplate.class,
                "strftimeNow", String.class));
        jinjava.getGlobalContext().registerFilter(new PythonJsonFilter());
    }

    public String template() {
        return template;
    }

    public String source() {
        return source;
    }

    /**
     * Renders a conversation.
     *
     * @param messages maps with at least {@code role} and {@code content}
     * @param variables {@code bos_token}, {@code eos_token} and anything else the template reads
     */
    public String render(List<Map<String, Object>> messages, boolean addGenerationPrompt, Map<String, Object> variables) {
        Map<String, Object> context = new HashMap<>(variables);
        context.put("messages", messages);
        context.put("add_generation_prompt", addGenerationPrompt);
        RAISED.remove();
        RenderResult result;
        try {
            result = jinjava.renderForResult(template, context);
        } catch (RuntimeException e) {
            throw unrenderable(e.getMessage());
        }
        String raised = RAISED.get();
        RAISED.remove();
        if (raised != null) {
            throw new ChatTemplateException("the chat template of " + source + " rejected the conversation: " + raised);
        }
        List<TemplateError> fatal = result.getErrors().stream()
                .filter(e -> e.getSeverity() == TemplateError.ErrorType.FATAL).toList();
        if (!fatal.isEmpty()) {
            throw unrenderable(fatal.stream().map(e -> e.getMessage() + " (line " + e.getLineno() + ")")
                    .collect(Collectors.joining("; ")));
        }
        return result.getOutput();
    }

    private ChatTemplateException unrenderable(String why) {
        return new ChatTemplateException("the chat template of " + source + " cannot be rendered here: " + why
                + ". Set a plain 'prompt_template' in the pipeline YAML instead (e.g. prompt_template: "
                + "\"<|user|>\\n{prompt}\\n<|assistant|>\\n\")");
    }

    /** {@code raise_exception(message)} of transformers' template environment. */
    public static String raiseException(String message) {
        RAISED.set(message);
        throw new IllegalStateException(message);
    }

    /** {@code strftime_now(format)}: the current local time in a Python strftime format. */
    public static String strftimeNow(String format) {
        return StrftimeFormatter.format(ZonedDateTime.now(), format);
    }
}
