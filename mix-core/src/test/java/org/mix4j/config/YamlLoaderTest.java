package org.mix4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class YamlLoaderTest {

    private static ConfigNode.MapNode load(String text, Map<String, String> env) {
        return new YamlLoader(EnvExpander.of(env)).load(new StringReader(text), "p.yaml");
    }

    private static Object scalar(ConfigNode.MapNode m, String key) {
        return ((ConfigNode.Scalar) m.get(key)).value();
    }

    @Test
    void expandsEnvironmentVariablesWithDefaults() {
        ConfigNode.MapNode m = load("a: ${MODELS}/llava\nb: ${MISSING:-fallback}\nc: ${N:-3}\nd: '${N:-3}'\n",
                Map.of("MODELS", "/data/models"));
        assertEquals("/data/models/llava", scalar(m, "a"));
        assertEquals("fallback", scalar(m, "b"));
        assertEquals(3L, scalar(m, "c"));
        assertEquals("3", scalar(m, "d"));
    }

    @Test
    void unsetVariableWithoutDefaultNamesKeyAndVariable() {
        ConfigException e = assertThrows(ConfigException.class, () -> load("x:\n  path: ${NOPE}/a\n", Map.of()));
        assertEquals("x.path", e.keyPath());
        assertEquals(2, e.line());
        assertTrue(e.getMessage().contains("NOPE is not set"), e.getMessage());
    }

    @Test
    void malformedYamlReportsLineAndColumn() {
        ConfigException e = assertThrows(ConfigException.class, () -> load("a: 1\nb: [1, 2\nc: 3\n", Map.of()));
        assertTrue(e.line() >= 2, "line " + e.line());
        assertTrue(e.getMessage().startsWith("p.yaml:") && e.getMessage().contains("malformed YAML"), e.getMessage());
    }

    @Test
    void duplicateKeysAreErrors() {
        ConfigException e = assertThrows(ConfigException.class, () -> load("a: 1\nb: 2\na: 3\n", Map.of()));
        assertEquals(3, e.line());
        assertTrue(e.getMessage().contains("duplicate key (first at line 1)"), e.getMessage());
    }

    @Test
    void refusesArbitraryJavaObjects() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> load("a: !!java.io.File [\"/etc/passwd\"]\n", Map.of()));
        assertTrue(e.getMessage().contains("p.yaml"), e.getMessage());
    }

    @Test
    void emptyOrNonMappingDocumentsAreErrors() {
        assertTrue(assertThrows(ConfigException.class, () -> load("", Map.of())).getMessage().contains("empty"));
        assertTrue(assertThrows(ConfigException.class, () -> load("- a\n- b\n", Map.of())).getMessage()
                .contains("mapping"));
    }

    @Test
    void scalarsKeepTheirYamlTypes() {
        ConfigNode.MapNode m = load("i: 42\nf: 7.5\nb: true\ns: hello\nn: null\ne: 1.0e-5\n", Map.of());
        assertEquals(42L, scalar(m, "i"));
        assertEquals(7.5, scalar(m, "f"));
        assertEquals(true, scalar(m, "b"));
        assertEquals("hello", scalar(m, "s"));
        assertEquals(null, scalar(m, "n"));
        assertEquals(1.0e-5, scalar(m, "e"));
    }

    /** 45 aliases in a few hundred bytes stand for two million values (48 once took 8 GB). */
    @Test
    void refusesAliasesThatExpandPastTheNodeLimit() {
        StringBuilder yaml = new StringBuilder("l0: &l0 [x, x, x, x, x]\n");
        for (int level = 1; level <= 9; level++) {
            String p = "*l" + (level - 1);
            yaml.append("l").append(level).append(": &l").append(level)
                    .append(" [").append(String.join(", ", p, p, p, p, p)).append("]\n");
        }
        assertTrue(yaml.length() < 600, "" + yaml.length());
        ConfigException e = assertTimeoutPreemptively(Duration.ofSeconds(2),
                () -> assertThrows(ConfigException.class, () -> load(yaml.toString(), Map.of())));
        assertTrue(e.getMessage().startsWith("p.yaml:") && e.getMessage().contains("more than 100000 values")
                && !e.getMessage().contains("\n"), e.getMessage());
        ConfigException small = assertThrows(ConfigException.class, () -> new YamlLoader(EnvExpander.of(Map.of()), 1000)
                .load(new StringReader(yaml.toString()), "q.yaml"));
        assertTrue(small.getMessage().contains("more than 1000 values"), small.getMessage());
    }

    @Test
    void refusesAnAliasInsideItsOwnAnchor() {
        for (String yaml : new String[] {"a: &a [1, *a]\n", "a: &a {b: *a}\n", "a: &a {x: &b {<<: *a}}\n"}) {
            ConfigException e = assertTimeoutPreemptively(Duration.ofSeconds(2),
                    () -> assertThrows(ConfigException.class, () -> load(yaml, Map.of()), yaml));
            assertTrue(e.getMessage().startsWith("p.yaml:1:") && e.getMessage().contains("recursive alias")
                    && !e.getMessage().contains("\n"), yaml + ": " + e.getMessage());
        }
    }

    @Test
    void sharedAnchorsWithinTheLimitStillLoad() {
        ConfigNode.MapNode m = load("base: &b {steps: 20, size: [512, 512]}\nfast: *b\nslow: {<<: *b, steps: 50}\n", Map.of());
        assertEquals(50L, scalar((ConfigNode.MapNode) m.get("slow"), "steps"));
    }
}
