package org.mix4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MixCliTest {

    @TempDir
    Path dir;

    record Result(int code, String out, String err) {}

    private Result mix(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] all = new String[args.length + 2];
        all[0] = "--plugins-dir";
        all[1] = dir.resolve("no-plugins").toString();
        System.arraycopy(args, 0, all, 2, args.length);
        int code = Mix.run(all, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void helpListsTheCommands() {
        Result r = mix("--help");
        assertEquals(0, r.code());
        for (String c : new String[] {"components", "plugins", "validate", "inspect", "verify"}) {
            assertTrue(r.out().contains(c), c + " missing from:\n" + r.out());
        }
    }

    @Test
    void componentsListsTypesRolesAndOrigins() {
        Result r = mix("components");
        assertEquals(0, r.code());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("test_upper") && l.contains("tokenizer")
                && l.contains("mix-core")), r.out());
    }

    @Test
    void validateReportsAMisspeltKeyWithFileLineKeyPathAndValidKeys() throws IOException {
        Path yaml = dir.resolve("pipe.yaml");
        Files.writeString(yaml, "task: text\nllm:\n  type: no_such_model\ntokenizer:\n  type: test_upper\n  ofset: 3\n");
        Result r = mix("validate", yaml.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains(yaml + ":6:3: tokenizer.ofset: unknown key (did you mean 'offset'?)"), r.err());
        assertTrue(r.err().contains("valid: type, weights, path, weights_prefix, config, init, seed, quantize, offset"), r.err());
        assertTrue(r.err().contains(yaml + ":3:3: llm.type: unknown language_model type 'no_such_model'"), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace expected:\n" + r.err());
    }

    @Test
    void validateReportsAMisspeltKeyAndAMissingSlotTogether() throws IOException {
        Path yaml = dir.resolve("pipe.yaml");
        Files.writeString(yaml, "task: text\nllm:\n  type: llama\n  init: random\nmax_new_tokns: 3\n");
        Result r = mix("validate", yaml.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains(yaml + ":5:1: max_new_tokns: unknown key for task 'text'"), r.err());
        assertTrue(r.err().contains(yaml + ":1:1: tokenizer: missing required component for task 'text'"), r.err());
    }

    @Test
    void validateReportsComponentsWhoseWidthsDoNotFitAtTheirSections() throws IOException {
        Path checkpoint = Path.of(System.getProperty("mix.golden.dir"), "sd_pipeline").toAbsolutePath();
        String good = "task: generation\ncheckpoint: " + checkpoint + "\n"
                + "text_encoder: { type: clip_text, weights: text_encoder }\n"
                + "tokenizer: { type: clip_bpe, path: tokenizer }\n"
                + "denoiser: { type: unet2d_condition, weights: unet }\n"
                + "vae: { type: autoencoder_kl, weights: vae }\n"
                + "scheduler: { type: ddim, path: scheduler }\n";
        Path ok = dir.resolve("ok.yaml");
        Files.writeString(ok, good);
        Result fits = mix("validate", ok.toString());
        assertEquals(0, fits.code(), fits.err());
        assertTrue(fits.out().contains("OK"), fits.out());
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, good.replace("weights: text_encoder }", "weights: text_encoder, hidden_size: 16 }")
                .replace("weights: vae }", "weights: vae, latent_channels: 3 }"));
        Result r = mix("validate", bad.toString());
        assertEquals(1, r.code(), r.out());
        assertTrue(r.err().contains(bad + ":3:15: text_encoder: output width 16 does not match denoiser "
                + "cross_attention_dim 32"), r.err());
        assertTrue(r.err().contains(bad + ":6:6: vae: latent channels 3 does not match denoiser in_channels 4"),
                r.err());
    }

    @Test
    void validateAcceptsAGoodFileAndReportsMalformedYaml() throws IOException {
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "task: text\nllm: [\n");
        Result r = mix("validate", bad.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("bad.yaml:") && r.err().contains("malformed YAML"), r.err());
    }

    @Test
    void inspectListsFixtureTensorsAndTotals() {
        Path fixture = Path.of(System.getProperty("mix.golden.dir"), "clip_vision");
        Result r = mix("inspect", fixture.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("vision_model.embeddings.patch_embedding.weight"), r.out());
        assertTrue(r.out().contains("parameters"), r.out());
    }

    @Test
    void inspectListsEveryComponentOfADiffusersPipelineFolder() {
        Path fixture = Path.of(System.getProperty("mix.golden.dir"), "sd_pipeline");
        Result r = mix("inspect", fixture.toString(), "--summary");
        assertEquals(0, r.code(), r.err());
        for (String component : new String[] {"## text_encoder", "## unet", "## vae"}) {
            assertTrue(r.out().contains(component), r.out());
        }
        assertTrue(r.out().contains("pipeline: 3 component(s)"), r.out());
    }

    @Test
    void inspectReportsHostileFilesInOneLineWithoutStackTrace() throws IOException {
        Path file = dir.resolve("evil.safetensors");
        byte[] bytes = new byte[16];
        bytes[7] = 0x7f; // header length 2^63-ish
        Files.write(file, bytes);
        Result r = mix("inspect", file.toString());
        assertNotEquals(0, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("error: ") && r.err().contains("evil.safetensors"), r.err());
        Result missing = mix("inspect", dir.resolve("nope").toString());
        assertTrue(missing.err().contains("no such file or directory"), missing.err());
    }

    @Test
    void verifyPrintsOneLinePerCaseAndTheTotals() throws IOException {
        Path fixtures = dir.resolve("fixtures");
        Path none = fixtures.resolve("unknown_kind");
        Files.createDirectories(none);
        Files.writeString(none.resolve("case.json"), "{\"kind\": \"warp_drive\", \"outputs\": []}");
        Result r = mix("verify", fixtures.toString());
        assertEquals(1, r.code());
        assertTrue(r.out().contains("NO RUNNER") && r.out().contains("warp_drive"), r.out());
        assertTrue(r.out().strip().endsWith("0 passed, 1 failed"), r.out());
    }

    @Test
    void debugShowsStackTraces() throws IOException {
        Path file = dir.resolve("short.safetensors");
        Files.write(file, new byte[] {1});
        Result r = mix("--debug", "inspect", file.toString());
        assertTrue(r.err().contains("\tat "), r.err());
    }
}
