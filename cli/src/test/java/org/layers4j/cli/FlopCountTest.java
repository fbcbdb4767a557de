package org.layers4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layers4j.Backends;
import org.layers4j.Shape;
import org.layers4j.io.Models;
import org.layers4j.nn.Flatten;
import org.layers4j.nn.Sequential;
import org.layers4j.nn.activation.ReLU;
import org.layers4j.nn.conv.Conv2d;
import org.layers4j.nn.linear.Linear;
import org.layers4j.spi.Backend;

/** The convolution and GEMM FLOPs that {@code bench --model} counts, against counts done by hand. */
class FlopCountTest {
    private static final Backend CPU = Backends.get("cpu");

    /**
     * conv 3 -> 4, 3x3, padding 1 (6x6 stays 6x6) -> relu -> conv 4 -> 8, 3x3, stride 2, groups 2 (6x6 -> 2x2) ->
     * flatten (8 * 2 * 2 = 32) -> linear 32 -> 10.
     */
    private static Path model(Path dir) throws IOException {
        Path file = dir.resolve("small.safetensors");
        try (Sequential m = new Sequential(Conv2d.builder(3, 4, 3).padding(1).backend(CPU).seed(1).build(),
                new ReLU(CPU), Conv2d.builder(4, 8, 3).stride(2).groups(2).backend(CPU).seed(2).build(),
                new Flatten(1, -1, CPU), new Linear(32, 10, true, CPU, 3))) {
            Models.save(m, file);
        }
        return file;
    }

    // Multiply-adds by hand, for a batch of 2 of [3, 6, 6]:
    // conv1: 2 images x 4 outputs x 6 x 6 positions x 3 inputs x 9 taps
    private static final double CONV1 = 2 * 4 * 6 * 6 * 3 * 9;
    // conv2: 2 images x 8 outputs x 2 x 2 positions x (4 / 2 = 2 inputs per group) x 9 taps
    private static final double CONV2 = 2 * 8 * 2 * 2 * 2 * 9;
    // linear: 2 rows x 10 outputs x 32 inputs
    private static final double LINEAR = 2 * 10 * 32;

    @Test
    void theForwardCountsTwiceTheMultiplyAddsOfEveryConvolutionAndLinear(@TempDir Path dir) throws IOException {
        double flops = ModelBench.flops(model(dir).toString(), CPU, Shape.of(2, 3, 6, 6), false, false, null, null);
        assertEquals(2 * (CONV1 + CONV2 + LINEAR), flops);
    }

    @Test
    void aCompiledGraphModelCountsWhatItsUncompiledGraphCounts(@TempDir Path dir) throws IOException {
        // ResNet-18 saved as a graph file loads compiled: BatchNorm folded, residual adds and ReLUs fused into the
        // convolutions (whose epilogue carries the residual tensor through the counting backend)
        Path file = dir.resolve("resnet18.safetensors");
        try (org.layers4j.models.ResNet m = org.layers4j.models.ResNet.resnet18(10, CPU)) {
            Models.save(m, file);
        }
        double compiled = ModelBench.flops(file.toString(), CPU, Shape.of(1, 3, 32, 32), false, false, null, null);
        String old = System.setProperty("layers4j.optimize", "false");
        double uncompiled;
        try {
            uncompiled = ModelBench.flops(file.toString(), CPU, Shape.of(1, 3, 32, 32), false, false, null, null);
        } finally {
            if (old == null) {
                System.clearProperty("layers4j.optimize");
            } else {
                System.setProperty("layers4j.optimize", old);
            }
        }
        assertTrue(uncompiled > 5e7, "ResNet-18 at 32 x 32: " + uncompiled);
        assertEquals(uncompiled, compiled);
    }

    @Test
    void backwardAndTrainingAddTheDataAndFilterGradientsOfEveryLayer(@TempDir Path dir) throws IOException {
        double fwd = CONV1 + CONV2 + LINEAR;
        // dW and dx of every layer: what the backend is asked for. --backward (a tape with leaf gradients) includes
        // the first convolution's dx, the gradient of the input; a training step (Tape.parametersOnly) skips it, as
        // PyTorch does for an input that does not require grad
        double bwd = 2 * (CONV1 + CONV2 + LINEAR);
        double backward = ModelBench.flops(model(dir).toString(), CPU, Shape.of(2, 3, 6, 6), true, false, null, null);
        assertEquals(2 * (fwd + bwd), backward);
        double train = ModelBench.flops(model(dir).toString(), CPU, Shape.of(2, 3, 6, 6), false, true, "output",
                Shape.of(2, 10));
        assertEquals(2 * (fwd + bwd - CONV1), train);
    }

    @Test
    void benchReportsTheCountItsGflopsAndTheFractionOfTheFmaPeak(@TempDir Path dir) throws IOException {
        Path json = dir.resolve("bench.json");
        CliTestSupport.Run r = CliTestSupport.run("bench", "--backend", "cpu", "--threads", "1", "--model",
                model(dir).toString(), "--input-shape", "2,3,6,6", "--reps", "3", "--warmup", "1", "--warmup-seconds",
                "0", "--json", json.toString());
        assertEquals(0, r.exitCode(), r.err());
        JsonNode root = new ObjectMapper().readTree(json.toFile());
        double flops = 2 * (CONV1 + CONV2 + LINEAR);
        assertEquals(flops, root.path("flops").asDouble());
        double ms = root.path("median_ms").asDouble();
        assertEquals(flops / ms / 1e6, root.path("gflops").asDouble(), 1e-9 * flops / ms);
        assertEquals(3, root.path("times_ms").size(), root.toString());
        // the tests run with the Vector API (the build's JVM flags), so the built-in probe measures the peak
        double peak = root.path("fma_peak_gflops").asDouble();
        assertTrue(peak > 0, root.toString());
        assertEquals(root.path("gflops").asDouble() / peak, root.path("peak_fraction").asDouble(), 1e-12);
        assertTrue(root.path("fma_peak_method").asText().startsWith("built-in probe"), root.toString());
        assertTrue(r.out().contains(String.format(java.util.Locale.ROOT, "FLOPs: %.3f GFLOP per run", flops / 1e9)),
                r.out());
        assertTrue(r.out().contains("FMA peak: "), r.out());
    }

    @Test
    void theLinesSayWhatWasCountedAndHowThePeakWasMeasured() {
        assertEquals("FLOPs: 2.000 GFLOP per run (convolutions and GEMMs, 2 x multiply-adds, counted on one run),"
                + " 40.0 GFLOP/s at the median", BenchCommand.flopsLine(2e9, 50, false, false));
        assertEquals("FMA peak: 160.0 GFLOP/s (how); the model runs at 25.0 % of it",
                BenchCommand.peakLine(2e9, 50, 160.0, "how"));
        assertEquals("FMA peak: not measured: why", BenchCommand.peakLine(2e9, 50, null, "not measured: why"));
    }
}
