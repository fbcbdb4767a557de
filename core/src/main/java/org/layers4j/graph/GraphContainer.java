package org.layers4j.graph;

import org.layers4j.Tensor;
import org.layers4j.nn.Module;
import org.layers4j.spi.Backend;

/**
 * A non-leaf module of a graph model ({@code layer1}, {@code features.3.block}): it holds child modules and
 * possibly parameters or buffers of its own (ConvNeXt's {@code layer_scale}), so that state_dict names and
 * order are the PyTorch module's. It computes nothing: the graph runs its leaves.
 */
public final class GraphContainer extends Module {
    private final String qualifiedName;

    GraphContainer(String qualifiedName, Backend backend) {
        super(backend);
        this.qualifiedName = qualifiedName;
    }

    void addModule(String name, Module child) {
        registerModule(name, child);
    }

    void addParameter(String name, Tensor value) {
        registerParameter(name, value);
    }

    void addBuffer(String name, Tensor value) {
        registerBuffer(name, value);
    }

    @Override
    public Tensor forward(Tensor input) {
        throw new UnsupportedOperationException("'" + qualifiedName + "' is a container of a graph model: the graph runs"
                + " its layers; call forward on the GraphModule");
    }
}
