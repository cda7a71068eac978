package org.mix4j.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The value a config record component takes when neither the YAML nor the checkpoint's
 * {@code config.json} gives one, written as it would be in YAML ({@code "1e-5"}, {@code "gelu"},
 * {@code "[336, 336]"}). Use the reference implementation's class default.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.RECORD_COMPONENT, ElementType.PARAMETER, ElementType.FIELD, ElementType.METHOD})
public @interface Default {
    String value();
}
