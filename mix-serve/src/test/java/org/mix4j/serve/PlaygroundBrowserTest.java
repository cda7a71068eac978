package org.mix4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonObject;
import java.io.File;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mix4j.MixRuntime;
import org.mix4j.registry.MixSettings;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The playground page in a real browser (Debian's headless Chromium driven by Selenium): it lists
 * the served models with their tasks, streams a chat answer equal to the API's, draws an image
 * with a progress bar whose bytes equal the API's, and ranks pictures with embeddings. Without
 * Chromium installed the test is skipped with the command that installs it, except under CI
 * ({@code CI} set), where a missing browser is a failure: CI installs it ({@code .ci/run}).
 */
class PlaygroundBrowserTest {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path DRIVER = Path.of("/usr/bin/chromedriver");
    private static MixRuntime runtime;
    private static TinyServer tiny;
    private static WebDriver browser;
    private static Path loras;

    @BeforeAll
    static void start() throws java.io.IOException {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(DRIVER)) {
            String why = "the browser test needs Debian's chromium and chromium-driver (" + CHROMIUM + ", " + DRIVER
                    + "): apt-get install chromium chromium-driver";
            if (System.getenv("CI") != null) {
                fail(why);
            }
            Assumptions.abort(why);
        }
        runtime = MixRuntime.start(MixSettings.builtInOnly());
        loras = Files.createTempDirectory("mix-playground-loras");
        ServerLoraControlNetTest.writeLora(loras.resolve("ink.safetensors"), 1);
        tiny = new TinyServer(runtime, c -> c.withApiKeys(List.of("sk-page")).withAdapterFolders(loras, null));
        ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile())
                .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu");
        // the driver is named, so Selenium Manager downloads nothing
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile())
                .usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        browser.manage().timeouts().implicitlyWait(Duration.ZERO);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (tiny != null) {
            tiny.close();
            runtime.close();
        }
        if (loras != null) {
            try {
                Files.deleteIfExists(loras.resolve("ink.safetensors"));
                Files.deleteIfExists(loras);
            } catch (java.io.IOException e) {
                // a temporary folder; nothing to recover
            }
        }
    }

    private static WebDriverWait waiting() {
        return new WebDriverWait(browser, Duration.ofSeconds(60));
    }

    /** Opens the page, gives it the API key and picks {@code model}. */
    private static void open(String model) {
        browser.get(tiny.url("/"));
        WebElement key = browser.findElement(By.id("key"));
        key.clear();
        key.sendKeys("sk-page" + Keys.TAB); // leaving the field fires its change event, which loads the models
        waiting().until(d -> d.findElements(By.cssSelector("#model option")).size() == 4);
        new Select(browser.findElement(By.id("model"))).selectByValue(model);
    }

    private static void set(String id, String value) {
        WebElement e = browser.findElement(By.id(id));
        e.clear();
        e.sendKeys(value);
    }

    @Test
    void thePageListsTheModelsWithTheirTasks() {
        open("tiny-llama");
        List<String> labels = browser.findElements(By.cssSelector("#model option")).stream().map(WebElement::getText)
                .toList();
        assertEquals(List.of("tiny-llama (text)", "tiny-llava (understanding)", "tiny-clip (retrieval)",
                "tiny-sd (generation)"), labels);
        assertTrue(browser.findElement(By.id("chat")).isDisplayed());
        assertFalse(browser.findElement(By.id("images")).isDisplayed());
    }

    @Test
    void aChatAnswerStreamsInAndEqualsTheApisAnswer() throws Exception {
        String prompt = "what color is the red car ?";
        HttpResponse<String> api = tiny.post("/v1/chat/completions", TinyServer.chat("tiny-llama", prompt, 8),
                "Authorization", "Bearer sk-page");
        assertEquals(200, api.statusCode(), api.body());
        open("tiny-llama");
        set("max-tokens", "8");
        set("temperature", "0");
        set("chat-input", prompt);
        browser.findElement(By.id("chat-send")).click();
        WebElement answer = waiting().until(d -> {
            List<WebElement> done = d.findElements(By.cssSelector("#chat-log .assistant[data-done]"));
            return done.isEmpty() ? null : done.get(0);
        });
        assertEquals("true", answer.getAttribute("data-done"), answer.getText());
        assertEquals(TinyServer.answer(api), answer.getAttribute("textContent"));
    }

    @Test
    void aChatWithAnUploadedPictureStreamsTheUnderstandingModelsAnswer() throws Exception {
        String prompt = "What is in the picture?";
        String body = "{\"model\": \"tiny-llava\", \"max_tokens\": 6, \"temperature\": 0, \"messages\": [{\"role\": "
                + "\"user\", \"content\": [{\"type\": \"text\", \"text\": \"" + prompt + "\"}, {\"type\": \"image_url\", "
                + "\"image_url\": {\"url\": \"" + TinyServer.imageDataUrl() + "\"}}]}]}";
        HttpResponse<String> api = tiny.post("/v1/chat/completions", body, "Authorization", "Bearer sk-page");
        assertEquals(200, api.statusCode(), api.body());
        open("tiny-llava");
        assertTrue(browser.findElement(By.id("chat-image")).isDisplayed(), "understanding models take a picture");
        set("max-tokens", "6");
        set("temperature", "0");
        browser.findElement(By.id("chat-image")).sendKeys(TinyServer.IMAGE.toFile().getAbsolutePath());
        set("chat-input", prompt);
        browser.findElement(By.id("chat-send")).click();
        WebElement answer = waiting().until(d -> {
            List<WebElement> done = d.findElements(By.cssSelector("#chat-log .assistant[data-done]"));
            return done.isEmpty() ? null : done.get(0);
        });
        assertEquals("true", answer.getAttribute("data-done"), answer.getText());
        assertEquals(TinyServer.answer(api), answer.getAttribute("textContent"));
        assertTrue(browser.findElement(By.cssSelector("#chat-log .user")).getText().contains("[field.png]"));
    }

    @Test
    void anImageIsDrawnWithItsProgressAndEqualsTheApisImage() throws Exception {
        JsonObject request = new JsonObject();
        request.addProperty("model", "tiny-sd");
        request.addProperty("prompt", "a big red sun");
        request.addProperty("steps", 3);
        request.addProperty("seed", 5);
        HttpResponse<String> api = tiny.post("/v1/images/generations", request.toString(), "Authorization",
                "Bearer sk-page");
        assertEquals(200, api.statusCode(), api.body());
        String expected = TinyServer.json(api).getAsJsonArray("data").get(0).getAsJsonObject().get("b64_json")
                .getAsString();
        open("tiny-sd");
        set("img-prompt", "a big red sun");
        set("img-steps", "3");
        set("img-seed", "5");
        browser.findElement(By.id("img-generate")).click();
        waiting().until(d -> "true".equals(d.findElement(By.id("img-results")).getAttribute("data-done")));
        assertEquals("3 / 3", browser.findElement(By.id("img-step")).getText());
        WebElement img = browser.findElement(By.cssSelector("#img-results img"));
        assertEquals("data:image/png;base64," + expected, img.getAttribute("src"));
        assertEquals(16, ((Number) ((org.openqa.selenium.JavascriptExecutor) browser)
                .executeScript("return arguments[0].naturalWidth;", img)).intValue(), "the browser decoded the PNG");
    }

    @Test
    void theLoraPickerSendsTheChosenLora() throws Exception {
        JsonObject request = new JsonObject();
        request.addProperty("model", "tiny-sd");
        request.addProperty("prompt", "a big red sun");
        request.addProperty("steps", 2);
        request.addProperty("seed", 6);
        com.google.gson.JsonArray loras = new com.google.gson.JsonArray();
        JsonObject lora = new JsonObject();
        lora.addProperty("name", "ink");
        lora.addProperty("scale", 0.5);
        loras.add(lora);
        request.add("loras", loras);
        HttpResponse<String> api = tiny.post("/v1/images/generations", request.toString(), "Authorization",
                "Bearer sk-page");
        assertEquals(200, api.statusCode(), api.body());
        String expected = TinyServer.json(api).getAsJsonArray("data").get(0).getAsJsonObject().get("b64_json")
                .getAsString();
        open("tiny-sd");
        set("img-prompt", "a big red sun");
        set("img-steps", "2");
        set("img-seed", "6");
        new Select(browser.findElement(By.id("img-lora"))).selectByValue("ink");
        set("img-lora-scale", "0.5");
        browser.findElement(By.id("img-generate")).click();
        waiting().until(d -> "true".equals(d.findElement(By.id("img-results")).getAttribute("data-done")));
        WebElement img = browser.findElement(By.cssSelector("#img-results img"));
        assertEquals("data:image/png;base64," + expected, img.getAttribute("src"));
    }

    @Test
    void picturesAreRankedByTheirEmbeddings() throws Exception {
        open("tiny-clip");
        set("emb-text", "a red sun");
        File picture = TinyServer.IMAGE.toFile();
        browser.findElement(By.id("emb-files")).sendKeys(picture.getAbsolutePath());
        browser.findElement(By.id("emb-rank")).click();
        waiting().until(d -> "true".equals(d.findElement(By.id("emb-results")).getAttribute("data-done")));
        String caption = browser.findElement(By.cssSelector("#emb-results figcaption")).getText();
        // the score the page shows is the API's cosine of the two embeddings
        HttpResponse<String> api = tiny.post("/v1/embeddings", "{\"model\": \"tiny-clip\", \"input\": [\"a red sun\", \""
                + TinyServer.imageDataUrl() + "\"]}", "Authorization", "Bearer sk-page");
        var data = TinyServer.json(api).getAsJsonArray("data");
        double cosine = 0;
        for (int i = 0; i < data.get(0).getAsJsonObject().getAsJsonArray("embedding").size(); i++) {
            cosine += data.get(0).getAsJsonObject().getAsJsonArray("embedding").get(i).getAsDouble()
                    * data.get(1).getAsJsonObject().getAsJsonArray("embedding").get(i).getAsDouble();
        }
        assertEquals("field.png " + String.format(java.util.Locale.ROOT, "%.3f", cosine), caption);
    }
}
