package org.layers4j.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Map;
import org.layers4j.nn.Module;
import org.layers4j.nn.loss.BCEWithLogitsLoss;
import org.layers4j.nn.loss.CrossEntropyLoss;
import org.layers4j.nn.loss.Loss;
import org.layers4j.nn.loss.MSELoss;
import org.layers4j.nn.loss.NLLLoss;
import org.layers4j.nn.loss.Reduction;
import org.layers4j.optim.Adam;
import org.layers4j.optim.AdamW;
import org.layers4j.optim.Optimizer;
import org.layers4j.optim.SGD;

/**
 * The loss and optimizer of a training fixture, from its metadata's {@code loss} and {@code optimizer}
 * JSON ({@code {"name": "cross_entropy", "label_smoothing": 0.1}}, {@code {"name": "adam", "lr": 0.01,
 * "betas": [0.9, 0.99]}}) with PyTorch's argument names and defaults.
 */
final class TrainingRun {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TrainingRun() {
    }

    static JsonNode parse(String what, String json) {
        try {
            JsonNode n = JSON.readTree(json);
            if (n == null || !n.isObject() || !n.path("name").isTextual()) {
                throw new IllegalArgumentException(what + " must be a JSON object with a \"name\", got " + json);
            }
            return n;
        } catch (IOException e) {
            throw new IllegalArgumentException(what + " is not valid JSON: " + json, e);
        }
    }

    private static float[] floats(JsonNode n) {
        if (n == null || n.isNull()) {
            return null;
        }
        float[] f = new float[n.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) n.get(i).asDouble();
        }
        return f;
    }

    static Loss loss(JsonNode spec) {
        Reduction r = Reduction.fromTorchName(spec.path("reduction").asText("mean"));
        String name = spec.get("name").asText();
        checkKeys(spec, switch (name) {
            case "cross_entropy" -> new String[] {"weight", "ignore_index", "reduction", "label_smoothing"};
            case "nll" -> new String[] {"weight", "ignore_index", "reduction"};
            case "mse" -> new String[] {"reduction"};
            case "bce_with_logits" -> new String[] {"weight", "reduction", "pos_weight"};
            default -> throw new IllegalArgumentException("unknown loss '" + name
                    + "'; known: cross_entropy, nll, mse, bce_with_logits");
        });
        return switch (name) {
            case "cross_entropy" -> new CrossEntropyLoss(floats(spec.get("weight")), spec.path("ignore_index").asLong(-100),
                    r, spec.path("label_smoothing").asDouble(0));
            case "nll" -> new NLLLoss(floats(spec.get("weight")), spec.path("ignore_index").asLong(-100), r);
            case "mse" -> new MSELoss(r);
            default -> new BCEWithLogitsLoss(floats(spec.get("weight")), r, floats(spec.get("pos_weight")));
        };
    }

    static Optimizer optimizer(JsonNode spec, Module model) {
        String name = spec.get("name").asText();
        switch (name) {
            case "sgd": {
                checkKeys(spec, "lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize");
                if (!spec.has("lr")) {
                    throw new IllegalArgumentException("sgd needs an lr");
                }
                return new SGD(model, spec.get("lr").asDouble()).momentum(spec.path("momentum").asDouble(0))
                        .dampening(spec.path("dampening").asDouble(0)).weightDecay(spec.path("weight_decay").asDouble(0))
                        .nesterov(spec.path("nesterov").asBoolean(false)).maximize(spec.path("maximize").asBoolean(false));
            }
            case "adam":
            case "adamw": {
                checkKeys(spec, "lr", "betas", "eps", "weight_decay", "amsgrad", "maximize");
                Adam a = name.equals("adam") ? new Adam(model) : new AdamW(model);
                a.lr(spec.path("lr").asDouble(1e-3)).eps(spec.path("eps").asDouble(1e-8))
                        .amsgrad(spec.path("amsgrad").asBoolean(false)).maximize(spec.path("maximize").asBoolean(false));
                if (spec.has("betas")) {
                    a.betas(spec.get("betas").get(0).asDouble(), spec.get("betas").get(1).asDouble());
                }
                if (spec.has("weight_decay")) {
                    a.weightDecay(spec.get("weight_decay").asDouble());
                }
                return a;
            }
            default:
                throw new IllegalArgumentException("unknown optimizer '" + name + "'; known: sgd, adam, adamw");
        }
    }

    private static void checkKeys(JsonNode spec, String... allowed) {
        java.util.Set<String> ok = new java.util.HashSet<>(java.util.List.of(allowed));
        ok.add("name");
        for (Map.Entry<String, JsonNode> e : (Iterable<Map.Entry<String, JsonNode>>) spec::fields) {
            if (!ok.contains(e.getKey())) {
                throw new IllegalArgumentException(spec.get("name").asText() + ": unknown argument '" + e.getKey() + "'");
            }
        }
    }
}
