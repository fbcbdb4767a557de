package org.layers4j.cuda;

import java.util.Arrays;
import org.layers4j.Backends;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.cuda.tools.GpuChecks;
import org.layers4j.spi.Backend;

/**
 * A GPU-only experiment (run by hand): what cuDNN's ReLU gives at the edge values (NaN, ±0, ±inf)
 * forward and backward, next to the CPU backend, to pin down the NaN-gradient convention.
 */
public final class ReluNanProbe {
    private ReluNanProbe() {
    }

    public static void main(String[] args) {
        float[] x = {Float.NaN, -0f, 0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1f, -1f};
        float[] dy = {5, 5, 5, 5, 5, 5, 5};
        System.out.println("cuDNN " + new CudaBackendProvider().availability().details().get("cudnn")
                + ", LD_LIBRARY_PATH=" + System.getenv("LD_LIBRARY_PATH"));
        try (CudnnBackend cuda = GpuChecks.backend()) {
            for (Backend b : new Backend[] {Backends.get("cpu"), cuda}) {
                try (Tensor tx = b.upload(x, Shape.of(x.length)); Tensor tdy = b.upload(dy, Shape.of(x.length));
                     Tensor y = b.allocate(Shape.of(x.length)); Tensor dx = b.allocate(Shape.of(x.length))) {
                    b.activation().relu(tx, y);
                    b.activation().reluBackward(tx, tdy, dx);
                    System.out.println(b.name() + " x " + Arrays.toString(x) + " -> y " + Arrays.toString(y.toArray())
                            + ", dx " + Arrays.toString(dx.toArray()));
                }
            }
        }
    }
}
