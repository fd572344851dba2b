package dev.panflow.io;

import dev.panflow.tensor.Tensor;
import java.util.Map;

/** What {@link Safetensors#read} returns: tensors in file (offset) order, and the string metadata. */
public record SafetensorsFile(Map<String, Tensor> tensors, Map<String, String> metadata) {}
