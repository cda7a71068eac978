package org.mix4j.pipelines.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.io.StringReader;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mix4j.config.ConfigException;
import org.mix4j.config.ConfigNode.MapNode;
import org.mix4j.config.EnvExpander;
import org.mix4j.config.YamlLoader;

class PipelineDeviceTest {

    private static final String TEXT = "task: text\nllm: {type: llama}\ntokenizer: {type: hf_tokenizer}\n";

    private static MapNode yaml(String text) {
        return new YamlLoader(EnvExpander.of(Map.of())).load(new StringReader(text), "p.yaml");
    }

    private static PipelineConfig parse(String text) {
        return PipelineConfig.parse(yaml(text), "p.yaml", Path.of("/base"));
    }

    @Test
    void cpuIsTheDefaultAndCanBeNamed() {
        assertEquals(Device.cpu(), parse(TEXT).device());
        assertEquals(Device.cpu(), parse(TEXT + "device: cpu\n").device());
        assertEquals(Device.cpu(), parse(TEXT + "device: CPU\n").device());
    }

    @Test
    void aGpuTheEngineDoesNotReportIsRefusedAtItsLine() {
        if (Engine.getInstance().getGpuCount() > 0) {
            return; // this machine has one; the refusal is tested with a count of 0 below
        }
        ConfigException e = assertThrows(ConfigException.class, () -> parse(TEXT + "device: cuda:0\n"));
        assertEquals("p.yaml", e.file());
        assertEquals(4, e.line());
        assertEquals(9, e.column());
        assertTrue(e.getMessage().startsWith("p.yaml:4:9: device: 'cuda:0' is not available"), e.getMessage());
        assertTrue(e.getMessage().contains("no GPU"), e.getMessage());
    }

    @Test
    void gpuAndCudaIndicesMapToDjlDevicesWhenReported() {
        MapNode root = yaml("a: gpu\nb: cuda:1\nc: gpu:1\n");
        assertEquals(Device.gpu(0), PipelineDevice.parse(root.get("a"), () -> 1));
        assertEquals(Device.gpu(1), PipelineDevice.parse(root.get("b"), () -> 2));
        ConfigException e = assertThrows(ConfigException.class, () -> PipelineDevice.parse(root.get("c"), () -> 1));
        assertEquals(3, e.line());
        assertTrue(e.getMessage().contains("reports 1 GPU(s)"), e.getMessage());
        ConfigException none = assertThrows(ConfigException.class, () -> PipelineDevice.parse(root.get("a"), () -> 0));
        assertEquals(1, none.line());
    }

    @Test
    void anUnknownDeviceListsTheValidOnes() {
        ConfigException e = assertThrows(ConfigException.class, () -> parse(TEXT + "device: tpu\n"));
        assertEquals(4, e.line());
        assertTrue(e.validKeys().contains("cpu") && e.validKeys().contains("cuda:N"), e.getMessage());
    }
}
