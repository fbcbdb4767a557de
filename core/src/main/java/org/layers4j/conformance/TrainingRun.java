package org.layers4j.conformance;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.layers4j.internal.Json;
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
    private TrainingRun() {
    }

    static Map<String, Object> parse(String what, String json) {
        Map<String, Object> n;
        try {
            n = Json.parseObject(json);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " is not a valid JSON object: " + json, e);
        }
        if (!(n.get("name") instanceof String)) {
            throw new IllegalArgumentException(what + " must be a JSON object with a \"name\", got " + json);
        }
        return n;
    }

    private static float[] floats(Object n) {
        if (n == null) {
            return null;
        }
        List<?> l = list(n, "weight");
        float[] f = new float[l.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) number(l.get(i), "weight");
        }
        return f;
    }

    private static List<?> list(Object v, String what) {
        if (!(v instanceof List<?> l)) {
            throw new IllegalArgumentException("'" + what + "' must be a list, got " + Json.write(v));
        }
        return l;
    }

    private static double number(Object v, String what) {
        if (!(v instanceof Number n)) {
            throw new IllegalArgumentException("'" + what + "' must be a number, got " + Json.write(v));
        }
        return n.doubleValue();
    }

    private static double number(Map<String, Object> spec, String key, double dflt) {
        return spec.containsKey(key) ? number(spec.get(key), key) : dflt;
    }

    private static boolean bool(Map<String, Object> spec, String key, boolean dflt) {
        Object v = spec.get(key);
        if (v == null) {
            return dflt;
        }
        if (!(v instanceof Boolean b)) {
            throw new IllegalArgumentException("'" + key + "' must be true or false, got " + Json.write(v));
        }
        return b;
    }

    static Loss loss(Map<String, Object> spec) {
        Reduction r = Reduction.fromTorchName(spec.containsKey("reduction") ? (String) spec.get("reduction") : "mean");
        String name = (String) spec.get("name");
        checkKeys(spec, switch (name) {
            case "cross_entropy" -> new String[] {"weight", "ignore_index", "reduction", "label_smoothing"};
            case "nll" -> new String[] {"weight", "ignore_index", "reduction"};
            case "mse" -> new String[] {"reduction"};
            case "bce_with_logits" -> new String[] {"weight", "reduction", "pos_weight"};
            default -> throw new IllegalArgumentException("unknown loss '" + name
                    + "'; known: cross_entropy, nll, mse, bce_with_logits");
        });
        long ignore = (long) number(spec, "ignore_index", -100);
        return switch (name) {
            case "cross_entropy" -> new CrossEntropyLoss(floats(spec.get("weight")), ignore, r,
                    number(spec, "label_smoothing", 0));
            case "nll" -> new NLLLoss(floats(spec.get("weight")), ignore, r);
            case "mse" -> new MSELoss(r);
            default -> new BCEWithLogitsLoss(floats(spec.get("weight")), r, floats(spec.get("pos_weight")));
        };
    }

    static Optimizer optimizer(Map<String, Object> spec, Module model) {
        String name = (String) spec.get("name");
        switch (name) {
            case "sgd": {
                checkKeys(spec, "lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize");
                if (!spec.containsKey("lr")) {
                    throw new IllegalArgumentException("sgd needs an lr");
                }
                return new SGD(model, number(spec, "lr", 0)).momentum(number(spec, "momentum", 0))
                        .dampening(number(spec, "dampening", 0)).weightDecay(number(spec, "weight_decay", 0))
                        .nesterov(bool(spec, "nesterov", false)).maximize(bool(spec, "maximize", false));
            }
            case "adam":
            case "adamw": {
                checkKeys(spec, "lr", "betas", "eps", "weight_decay", "amsgrad", "maximize");
                Adam a = name.equals("adam") ? new Adam(model) : new AdamW(model);
                a.lr(number(spec, "lr", 1e-3)).eps(number(spec, "eps", 1e-8))
                        .amsgrad(bool(spec, "amsgrad", false)).maximize(bool(spec, "maximize", false));
                if (spec.containsKey("betas")) {
                    List<?> b = list(spec.get("betas"), "betas");
                    if (b.size() != 2) {
                        throw new IllegalArgumentException("'betas' must be two numbers, got " + Json.write(b));
                    }
                    a.betas(number(b.get(0), "betas"), number(b.get(1), "betas"));
                }
                if (spec.containsKey("weight_decay")) {
                    a.weightDecay(number(spec, "weight_decay", 0));
                }
                return a;
            }
            default:
                throw new IllegalArgumentException("unknown optimizer '" + name + "'; known: sgd, adam, adamw");
        }
    }

    private static void checkKeys(Map<String, Object> spec, String... allowed) {
        Set<String> ok = new HashSet<>(List.of(allowed));
        ok.add("name");
        for (String k : spec.keySet()) {
            if (!ok.contains(k)) {
                throw new IllegalArgumentException(spec.get("name") + ": unknown argument '" + k + "'");
            }
        }
    }
}
