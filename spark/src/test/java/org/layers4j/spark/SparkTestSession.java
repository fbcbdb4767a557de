package org.layers4j.spark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.apache.spark.sql.SparkSession;

/** The tests' Spark: local[2], bound to the loopback only, no UI. */
final class SparkTestSession {
    private SparkTestSession() {
    }

    static SparkSession start(String app, Path warehouse) {
        return SparkSession.builder()
                .master("local[2]")
                .appName(app)
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2")
                .config("spark.sql.warehouse.dir", warehouse.toUri().toString())
                .getOrCreate();
    }

    /** fixtures/models of the repository (-Dlayers4jRepoRoot, else searched upwards). */
    static Path models() {
        String root = System.getProperty("layers4jRepoRoot");
        if (root != null && Files.isDirectory(Paths.get(root, "fixtures", "models"))) {
            return Paths.get(root, "fixtures", "models");
        }
        for (Path p = Paths.get("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("fixtures/models"))) {
                return p.resolve("fixtures/models");
            }
        }
        throw new IllegalStateException("fixtures/models not found above " + Paths.get("").toAbsolutePath());
    }
}
