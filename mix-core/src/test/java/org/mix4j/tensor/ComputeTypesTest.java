package org.mix4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import org.junit.jupiter.api.Test;

class ComputeTypesTest {

    @Test
    void parsesTheUsableTypes() {
        assertEquals(DataType.FLOAT32, ComputeTypes.parse("float32"));
        assertEquals(DataType.FLOAT16, ComputeTypes.parse("float16"));
        assertEquals(DataType.FLOAT16, ComputeTypes.require(DataType.FLOAT16));
    }

    @Test
    void bfloat16IsRefusedBeforeAnyTensorExists() {
        // Reaching the engine with bfloat16 would end the JVM running this test, so an exception
        // here is the whole point.
        IllegalArgumentException byName = assertThrows(IllegalArgumentException.class, () -> ComputeTypes.parse("bfloat16"));
        assertTrue(byName.getMessage().contains("DJL 0.35.1") && byName.getMessage().contains("float16"),
                byName.getMessage());
        IllegalArgumentException byType = assertThrows(IllegalArgumentException.class,
                () -> ComputeTypes.require(DataType.BFLOAT16));
        assertEquals(byName.getMessage(), byType.getMessage());
    }

    @Test
    void otherTypesListTheChoices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ComputeTypes.require(DataType.INT8));
        assertEquals("dtype 'int8' is not one of [float32, float16]", e.getMessage());
    }
}
