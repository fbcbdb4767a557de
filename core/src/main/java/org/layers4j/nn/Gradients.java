package org.layers4j.nn;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.layers4j.Tensor;

/**
 * Gradients a backward computed; the caller owns them and {@link #close()} frees all. From
 * {@link Module#backward(Tensor, Tensor)}: dL/d(input) ({@link #input()}) and dL/d(parameter) by
 * state_dict name. From {@link Tape#backward}: dL/dt for the tape's leaf tensors ({@link #of(Tensor)}).
 */
public final class Gradients implements AutoCloseable {
    private final Tensor input;
    private final Map<String, Tensor> parameters;
    private final Map<Tensor, Tensor> leaves;
    private final Map<Parameter, Tensor> byParameter;

    public Gradients(Tensor input, Map<String, Tensor> parameters) {
        this(input, parameters, Map.of(), Map.of());
    }

    Gradients(Tensor input, Map<String, Tensor> parameters, Map<Tensor, Tensor> leaves,
              Map<Parameter, Tensor> byParameter) {
        this.input = input;
        this.parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
        this.leaves = new IdentityHashMap<>(leaves);
        this.byParameter = new IdentityHashMap<>(byParameter);
    }

    /** dL/d(input); null for an input that takes no gradient (Embedding's indices). */
    public Tensor input() {
        return input;
    }

    /** dL/d(parameter) by state_dict name. */
    public Map<String, Tensor> parameters() {
        return parameters;
    }

    /** dL/d(weight), for a single layer. */
    public Tensor weight() {
        return parameter("weight");
    }

    /** dL/d(bias), for a single layer with bias. */
    public Tensor bias() {
        return parameter("bias");
    }

    /** The gradient of one parameter; IllegalArgumentException naming the known ones when absent. */
    public Tensor parameter(String name) {
        Tensor t = parameters.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no gradient for parameter '" + name + "'; the layer has "
                    + parameters.keySet());
        }
        return t;
    }

    /** dL/dt for a leaf tensor of the tape (one that no recorded operation produced), or null if none flowed to it. */
    public Tensor of(Tensor t) {
        return leaves.get(t);
    }

    /** Removes and returns (ownership passes to the caller) the gradient of a leaf tensor. */
    Tensor take(Tensor t) {
        return leaves.remove(t);
    }

    Tensor take(Parameter p) {
        return byParameter.remove(p);
    }

    @Override
    public void close() {
        if (input != null) {
            input.close();
        }
        parameters.values().forEach(Tensor::close);
        leaves.values().forEach(Tensor::close);
        byParameter.values().forEach(Tensor::close);
    }
}
