package org.layers4j.bench;

import java.nio.file.Path;
import org.layers4j.Backends;
import org.layers4j.io.Models;
import org.layers4j.models.ResNet;

/**
 * Writes the Java {@link ResNet#resnet18} that {@code ./layers4j bench --model resnet18} builds (the same
 * seeded initialization, 1000 classes) as a graph model file, so that the hand-written model and its graph
 * are timed with the same weights: {@code benchmarks/graph-vs-java.sh}.
 */
public final class SaveResNet18 {
    private SaveResNet18() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: SaveResNet18 OUT.safetensors");
            System.exit(2);
        }
        try (ResNet net = ResNet.resnet18(1000, Backends.get("cpu"))) {
            Models.save(net, Path.of(args[0]));
        }
    }
}
