package org.mix4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.cli.Mix;

/**
 * The {@code ./mix} command lines that README.md and docs/plugins.md show, run through
 * {@link Mix#run} in this JVM as a user would type them in the repository root: paths in them are
 * resolved against the root, {@code --plugins-dir} points at a fresh folder (what {@code mix plugins
 * install} fills), and a {@code | grep -E RE} tail must match a line of the output. Every command
 * must exit with 0. The plugins are the jars their modules pack (the reactor builds them before this
 * module), so these blocks cannot drift from what the commands do.
 */
class DocCommandsTest {

    static final Path ROOT = Path.of("..");

    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {}

    @BeforeAll
    static void pluginJarsAreBuilt() throws IOException {
        for (String id : ExampleYamlTest.PLUGINS) {
            GoldenSuiteTest.pluginJar(ROOT.resolve("plugins").resolve(id).resolve("target"), id);
        }
    }

    @Test
    void readmeQuickStartRuns() throws IOException {
        runBlock(block(ROOT.resolve("README.md"), "## Two commands"), 1);
    }

    @Test
    void readmePluginBlockRuns() throws IOException {
        runBlock(block(ROOT.resolve("README.md"), "## Plugins"), 6);
    }

    /**
     * Section 7 of docs/plugins.md, less its last line: {@code validate plugins/*}{@code /examples/*.yaml}
     * needs {@code MIX_MODELS} in the environment, which a test cannot set in its own JVM;
     * {@link ExampleYamlTest} validates those files.
     */
    @Test
    void pluginsGuideBuildInstallVerifyBlockRuns() throws IOException {
        List<String> lines = block(ROOT.resolve("docs/plugins.md"), "## 7. Build, install, verify");
        assertTrue(lines.get(lines.size() - 1).startsWith("./mix validate plugins/*/examples/*.yaml"), lines.toString());
        runBlock(lines.subList(0, lines.size() - 1), 7);
    }

    /** README's misspelt-key example: the file line it quotes gives exactly the error it shows. */
    @Test
    void readmeValidateExampleIsWhatValidatePrints() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        Matcher line = Pattern.compile("line 6\\s+of `pipe.yaml` is `([^`]+)`").matcher(readme);
        assertTrue(line.find(), "README no longer quotes line 6 of pipe.yaml");
        Matcher shown = Pattern.compile("\\$ ./mix validate pipe.yaml\n(error: [^\n]+)\n").matcher(readme);
        assertTrue(shown.find(), "README no longer shows the output of ./mix validate pipe.yaml");
        Path pipe = tmp.resolve("pipe.yaml");
        Files.writeString(pipe, String.join("\n", "task: understanding",
                "checkpoint: " + ROOT.resolve("testdata/golden/llava").toAbsolutePath().normalize(),
                "encoder:   { type: clip_vision, feature_layer: -2 }",
                "connector: { type: mlp }",
                "llm:       { type: llama }",
                line.group(1), ""));
        Run r = mix("validate", pipe.toString());
        assertEquals(1, r.code(), r.out() + r.err());
        assertEquals(shown.group(1).replace("pipe.yaml", pipe.toString()), r.err().strip());
    }

    private void runBlock(List<String> lines, int expectedCommands) throws IOException {
        Path plugins = Files.createDirectories(tmp.resolve("plugins"));
        int ran = 0;
        for (String line : lines) {
            if (!line.startsWith("./mix ")) {
                continue;
            }
            String[] pipe = line.split(" \\| ", 2);
            List<String> args = new ArrayList<>(List.of("--plugins-dir", plugins.toString()));
            for (String word : words(pipe[0].substring("./mix ".length()))) {
                boolean path = word.contains("/") && Files.exists(ROOT.resolve(word));
                args.add(path ? ROOT.resolve(word).toString() : word);
            }
            Run r = mix(args.toArray(String[]::new));
            assertEquals(0, r.code(), line + "\n" + r.out() + r.err());
            if (pipe.length > 1) {
                List<String> grep = words(pipe[1]);
                assertEquals(List.of("grep", "-E"), grep.subList(0, 2), line);
                Pattern re = Pattern.compile(grep.get(2));
                assertTrue(r.out().lines().anyMatch(l -> re.matcher(l).find()), line + "\n" + r.out());
            }
            ran++;
        }
        assertEquals(expectedCommands, ran, "./mix lines in " + lines);
    }

    /** The lines of the first fenced code block after {@code heading}. */
    static List<String> block(Path doc, String heading) throws IOException {
        List<String> all = Files.readAllLines(doc);
        int i = all.indexOf(heading);
        assertTrue(i >= 0, heading + " not in " + doc);
        while (!all.get(i).startsWith("```")) {
            i++;
        }
        List<String> lines = new ArrayList<>();
        for (i++; !all.get(i).startsWith("```"); i++) {
            lines.add(all.get(i));
        }
        assertFalse(lines.isEmpty(), doc + ": empty block after " + heading);
        return lines;
    }

    /** A shell line as words: single and double quotes group, an unquoted {@code #} starts a comment. */
    static List<String> words(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder word = null;
        char quote = 0;
        for (char c : line.toCharArray()) {
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    word.append(c);
                }
            } else if (c == '"' || c == '\'') {
                quote = c;
                word = word == null ? new StringBuilder() : word;
            } else if (Character.isWhitespace(c)) {
                if (word != null) {
                    words.add(word.toString());
                    word = null;
                }
            } else if (c == '#' && word == null) {
                break;
            } else {
                word = word == null ? new StringBuilder() : word;
                word.append(c);
            }
        }
        if (word != null) {
            words.add(word.toString());
        }
        return words;
    }

    static Run mix(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Mix.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }
}
