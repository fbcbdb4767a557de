package org.layers4j.onnx;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.layers4j.Tensor;
import org.layers4j.graph.ops.OpContext;
import org.layers4j.graph.ops.Values;
import org.layers4j.spi.Backend;

/** Runs an ONNX kernel at load on values known then (the shape arithmetic of a graph with static shapes). */
final class ConstantFolder {
    /** Inputs larger than this are not folded (the node runs per call instead). */
    static final int MAX_FOLD = 1 << 16;

    private final Backend backend;

    ConstantFolder(Backend backend) {
        this.backend = backend;
    }

    List<NdArray> run(String opType, List<NdArray> inputs, Map<String, Object> attrs, int opset, int outputs) {
        List<Object> tensors = new ArrayList<>();
        Object result = null;
        try {
            for (NdArray a : inputs) {
                tensors.add(a == null ? null : a.upload(backend));
            }
            OnnxCall call = new OnnxCall(opType, tensors, attrs, opset, outputs, new OpContext(backend, false,
                    new SplittableRandom(0)));
            result = OnnxOps.run(OnnxOps.kernel(opType), call);
            List<NdArray> out = new ArrayList<>();
            if (result instanceof List<?> l) {
                for (Object o : l) {
                    out.add(NdArray.of((Tensor) o));
                }
            } else {
                out.add(NdArray.of((Tensor) result));
            }
            if (out.size() < outputs) {
                throw new IllegalArgumentException(opType + " gave " + out.size() + " outputs, the node has " + outputs);
            }
            return out;
        } finally {
            Values.close(result);
            tensors.forEach(Values::close);
        }
    }
}
