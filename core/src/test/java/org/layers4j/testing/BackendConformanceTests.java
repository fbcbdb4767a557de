package org.layers4j.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.layers4j.conformance.ConformanceCase;
import org.layers4j.io.SafeTensors;
import org.layers4j.spi.Backend;

/**
 * The golden PyTorch fixtures, forward and backward, through the public layer API on one backend.
 * Each backend's tests extend this and say which backend.
 */
public abstract class BackendConformanceTests {
    /** How many cases fixtures/conformance holds; a lost file must fail, not shrink the suite. */
    public static final int FIXTURE_COUNT = 39;
    /** How many cases fixtures/layers holds. */
    public static final int LAYER_FIXTURE_COUNT = 36;

    protected abstract Backend backend();

    @Test
    void everyFixtureFileIsFound() throws IOException {
        assertEquals(FIXTURE_COUNT, ConformanceCase.find(List.of(TestData.fixtureDir())).size());
        assertEquals(LAYER_FIXTURE_COUNT, ConformanceCase.find(List.of(TestData.layerFixtureDir())).size());
    }

    @TestFactory
    Stream<DynamicTest> layerFixtureMatchesPyTorchForwardBackwardAndBuffers() throws IOException {
        return ConformanceCase.find(List.of(TestData.layerFixtureDir())).stream().map(file -> DynamicTest.dynamicTest(
                file.getFileName().toString(), () -> checkLayer(file)));
    }

    private void checkLayer(Path file) throws IOException {
        ConformanceCase c = ConformanceCase.load(file);
        ConformanceCase.Result r = c.run(backend());
        assertTrue(r.passed(), () -> c.name() + " failed: " + describe(r));
        // every expected tensor the file holds was compared: output, grad_input, grad.*, and after.* in training
        long expected = SafeTensors.read(file).tensors().keySet().stream().filter(k -> k.equals("output")
                || k.equals("grad_input") || k.startsWith("grad.") || (c.training() && k.startsWith("after."))).count();
        assertEquals(expected, r.comparisons().size(), "tensors compared");
    }

    private static String describe(ConformanceCase.Result r) {
        return r.comparisons().stream().filter(x -> !x.passed())
                .map(x -> x.tensor() + " max error " + x.maxError() + " > " + x.tolerance() + " " + x.problem())
                .collect(Collectors.joining("; "));
    }

    @TestFactory
    Stream<DynamicTest> fixtureMatchesPyTorchForwardAndBackward() throws IOException {
        return ConformanceCase.find(List.of(TestData.fixtureDir())).stream().map(file -> DynamicTest.dynamicTest(
                file.getFileName().toString(), () -> check(file)));
    }

    private void check(Path file) throws IOException {
        ConformanceCase c = ConformanceCase.load(file);
        ConformanceCase.Result r = c.run(backend());
        assertTrue(r.passed(), () -> c.name() + " failed: " + r.comparisons().stream()
                .filter(x -> !x.passed())
                .map(x -> x.tensor() + " max error " + x.maxError() + " > " + x.tolerance() + " " + x.problem())
                .collect(Collectors.joining("; ")));
        assertEquals(c.hasBackward() ? (c.op().equals("relu") ? 2 : c.metadata().get("bias").equals("true") ? 4 : 3) : 1,
                r.comparisons().size(), "tensors compared");
    }
}
