package org.layers4j.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.SplittableRandom;

/** Helpers shared by the backends' tests: the fixture directory, random data, tolerance checks. */
public final class TestData {
    private TestData() {
    }

    /** A test body that may throw. */
    @FunctionalInterface
    public interface Body {
        void run() throws Exception;
    }

    /** Runs {@code body} with system property {@code key} set to {@code value}, then restores it (or its absence). */
    public static void withProperty(String key, String value, Body body) throws Exception {
        String before = System.getProperty(key);
        System.setProperty(key, value);
        try {
            body.run();
        } finally {
            if (before == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, before);
            }
        }
    }

    /** The repository's {@code fixtures/conformance}: from -Dlayers4jRepoRoot, else searched upwards. */
    /** fixtures/layers: the layer and small-model cases. */
    public static Path layerFixtureDir() {
        return fixtureDir().resolveSibling("layers");
    }

    /** fixtures/graphs: the graph model cases (gen_graphs.py). */
    public static Path graphFixtureDir() {
        return fixtureDir().resolveSibling("graphs");
    }

    public static Path fixtureDir() {
        String root = System.getProperty("layers4jRepoRoot");
        if (root != null && Files.isDirectory(Paths.get(root, "fixtures", "conformance"))) {
            return Paths.get(root, "fixtures", "conformance");
        }
        for (Path p = Paths.get("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("fixtures/conformance"))) {
                return p.resolve("fixtures/conformance");
            }
        }
        throw new IllegalStateException("fixtures/conformance not found above " + Paths.get("").toAbsolutePath());
    }

    public static float[] randomFloats(SplittableRandom rng, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rng.nextDouble() * 2 - 1);
        }
        return v;
    }

    public static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }

    /**
     * Null when {@code actual} matches {@code expected} by the fixtures' rule
     * (max|a-e| <= 1e-4 * max(1, max|e|)), else a description of the worst element.
     */
    public static String mismatch(float[] actual, double[] expected) {
        if (actual.length != expected.length) {
            return "length " + actual.length + ", expected " + expected.length;
        }
        double maxAbs = 0;
        for (double e : expected) {
            maxAbs = Math.max(maxAbs, Math.abs(e));
        }
        double tol = 1e-4 * Math.max(1, maxAbs);
        double worst = 0;
        int at = -1;
        for (int i = 0; i < actual.length; i++) {
            double d = Math.abs(actual[i] - expected[i]);
            if (!(d <= worst) || Double.isNaN(d)) {
                worst = d;
                at = i;
                if (Double.isNaN(d)) {
                    break;
                }
            }
        }
        return worst <= tol ? null : String.format("max error %.3g > %.3g at %d: %s vs %s", worst, tol, at,
                actual[at], expected[at]);
    }
}
