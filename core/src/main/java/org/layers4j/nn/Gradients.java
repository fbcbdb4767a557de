package org.layers4j.nn;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.layers4j.Tensor;

/**
 * What {@link Layer#backward} returns: the gradient with respect to the input and, by parameter
 * name, with respect to each parameter. The caller owns the tensors; {@link #close()} frees all.
 */
public final class Gradients implements AutoCloseable {
    private final Tensor input;
    private final Map<String, Tensor> parameters;

    public Gradients(Tensor input, Map<String, Tensor> parameters) {
        this.input = input;
        this.parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    }

    /** dL/d(input). */
    public Tensor input() {
        return input;
    }

    /** dL/d(parameter) by state_dict name. */
    public Map<String, Tensor> parameters() {
        return parameters;
    }

    /** dL/d(weight), for a single convolution. */
    public Tensor weight() {
        return parameter("weight");
    }

    /** dL/d(bias), for a single convolution with bias. */
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

    @Override
    public void close() {
        input.close();
        parameters.values().forEach(Tensor::close);
    }
}
