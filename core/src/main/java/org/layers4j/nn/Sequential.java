package org.layers4j.nn;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.layers4j.Tensor;
import org.layers4j.spi.Backend;

/**
 * PyTorch's {@code nn.Sequential}: layers applied in order. Parameters are named as in PyTorch's
 * state_dict, {@code <index>.<name>} (e.g. {@code 0.weight}). Intermediate tensors are freed as soon
 * as the next layer has consumed them. All layers must be on one backend.
 */
public final class Sequential implements Layer {
    private final List<Layer> layers;

    public Sequential(Layer... layers) {
        if (layers == null || layers.length == 0) {
            throw new IllegalArgumentException("Sequential needs at least one layer");
        }
        for (int i = 0; i < layers.length; i++) {
            if (layers[i] == null) {
                throw new IllegalArgumentException("Sequential layer " + i + " is null");
            }
            if (layers[i].backend() != layers[0].backend()) {
                throw new IllegalArgumentException("Sequential layer " + i + " is on " + layers[i].backend().name()
                        + " but layer 0 is on " + layers[0].backend().name() + "; move them with to(backend)");
            }
        }
        this.layers = List.of(layers);
    }

    public List<Layer> layers() {
        return layers;
    }

    @Override
    public Tensor forward(Tensor input) {
        Tensor x = input;
        try {
            for (Layer layer : layers) {
                Tensor y = layer.forward(x);
                if (x != input) {
                    x.close();
                }
                x = y;
            }
            return x;
        } catch (RuntimeException e) {
            if (x != input) {
                x.close();
            }
            throw e;
        }
    }

    /** Runs forward again to get each layer's input, then backward through the layers in reverse. */
    @Override
    public Gradients backward(Tensor input, Tensor gradOutput) {
        List<Tensor> inputs = new ArrayList<>();
        inputs.add(input);
        Map<String, Tensor> grads = new LinkedHashMap<>();
        Map<Integer, Gradients> perLayer = new LinkedHashMap<>();
        Tensor grad = gradOutput;
        try {
            for (int i = 0; i < layers.size() - 1; i++) {
                inputs.add(layers.get(i).forward(inputs.get(i)));
            }
            for (int i = layers.size() - 1; i >= 0; i--) {
                Gradients g = layers.get(i).backward(inputs.get(i), grad);
                perLayer.put(i, g);
                if (grad != gradOutput) {
                    grad.close();
                }
                grad = g.input();
            }
            for (int i = 0; i < layers.size(); i++) {
                int index = i;
                perLayer.get(i).parameters().forEach((name, t) -> grads.put(index + "." + name, t));
            }
            return new Gradients(grad, grads);
        } catch (RuntimeException e) {
            // free what the layers that did run produced: their parameter gradients and the last input gradient
            perLayer.values().forEach(g -> g.parameters().values().forEach(Tensor::close));
            if (grad != gradOutput) {
                grad.close();
            }
            throw e;
        } finally {
            for (int i = 1; i < inputs.size(); i++) {
                inputs.get(i).close();
            }
        }
    }

    @Override
    public Map<String, Tensor> parameters() {
        Map<String, Tensor> p = new LinkedHashMap<>();
        for (int i = 0; i < layers.size(); i++) {
            int index = i;
            layers.get(i).parameters().forEach((name, t) -> p.put(index + "." + name, t));
        }
        return p;
    }

    @Override
    public void setParameter(String name, float[] values) {
        int dot = name == null ? -1 : name.indexOf('.');
        int index = -1;
        if (dot > 0) {
            try {
                index = Integer.parseInt(name.substring(0, dot));
            } catch (NumberFormatException e) {
                index = -1;
            }
        }
        if (index < 0 || index >= layers.size()) {
            throw new IllegalArgumentException("Sequential has no parameter '" + name + "'; its parameters are "
                    + parameters().keySet());
        }
        layers.get(index).setParameter(name.substring(dot + 1), values);
    }

    @Override
    public Backend backend() {
        return layers.get(0).backend();
    }

    @Override
    public Sequential to(Backend backend) {
        layers.forEach(l -> l.to(backend));
        return this;
    }

    @Override
    public void close() {
        layers.forEach(Layer::close);
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("Sequential(\n");
        for (int i = 0; i < layers.size(); i++) {
            s.append("  (").append(i).append("): ").append(layers.get(i)).append('\n');
        }
        return s.append(')').toString();
    }
}
