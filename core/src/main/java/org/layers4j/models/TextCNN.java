package org.layers4j.models;

import org.layers4j.graph.GraphBuilder;
import org.layers4j.graph.GraphTracer;
import org.layers4j.graph.Node.Ref;
import org.layers4j.graph.Traceable;
import org.layers4j.Backends;
import org.layers4j.Tensor;
import org.layers4j.nn.Dropout;
import org.layers4j.nn.Flatten;
import org.layers4j.nn.Functional;
import org.layers4j.nn.Module;
import org.layers4j.nn.activation.ReLU;
import org.layers4j.nn.conv.Conv1d;
import org.layers4j.nn.linear.Embedding;
import org.layers4j.nn.linear.Linear;
import org.layers4j.nn.pool.AdaptiveMaxPool2d;
import org.layers4j.spi.Backend;

/**
 * A small text classifier, a TextCNN: token ids [N, L] → Embedding [N, L, E] →
 * permute to [N, E, L] → Conv1d(E, filters, kernel) → ReLU → max over time → Dropout → Linear(filters,
 * classes). The children ({@code embedding}, {@code conv}, {@code fc}) are named as in the PyTorch
 * module {@code scripts/gen_model_refs.py} exports, so its state_dict loads strictly.
 */
public final class TextCNN extends Module implements Traceable {
    private final Embedding embedding;
    private final Conv1d conv;
    private final ReLU relu;
    private final AdaptiveMaxPool2d pool;
    private final Flatten flatten;
    private final Dropout dropout;
    private final Linear fc;

    public TextCNN(int vocab, int embeddingDim, int filters, int kernel, int classes, Integer paddingIdx, Backend backend) {
        this(vocab, embeddingDim, filters, kernel, classes, paddingIdx, 0.5, backend);
    }

    /** With the Dropout probability (PyTorch's own dropout draws other elements; 0 reproduces its curves). */
    public TextCNN(int vocab, int embeddingDim, int filters, int kernel, int classes, Integer paddingIdx, double dropout,
                   Backend backend) {
        super(backend == null ? Backends.defaultBackend() : backend);
        Backend be = backend();
        embedding = registerModule("embedding", new Embedding(vocab, embeddingDim, paddingIdx, be, 0));
        conv = registerModule("conv", Conv1d.builder(embeddingDim, filters, kernel).padding(kernel / 2).backend(be).build());
        relu = registerModule("relu", new ReLU(be));
        // max over time as a [N, F, 1, L] -> [N, F, 1, 1] adaptive max pool (PyTorch's x.max(dim=2) values)
        pool = new AdaptiveMaxPool2d(be, 1, 1);
        flatten = new Flatten(1, -1, be);
        this.dropout = registerModule("dropout", new Dropout(dropout, 0, be));
        fc = registerModule("fc", new Linear(filters, classes, true, be, 0));
    }

    @Override
    public Tensor forward(Tensor tokens) {
        requireAnyInput("TextCNN", tokens);
        try (Tensor e = embedding.forward(tokens);
             Tensor t = Functional.transpose(e, 1, 2);
             Tensor c = conv.forward(t);
             Tensor r = relu.forward(c);
             Tensor r4 = Functional.reshape(r, org.layers4j.Shape.of(r.shape().dim(0), r.shape().dim(1), 1,
                     r.shape().dim(2)));
             Tensor p = pool.forward(r4);
             Tensor f = flatten.forward(p);
             Tensor d = dropout.forward(f)) {
            return fc.forward(d);
        }
    }

    /** The forward as graph nodes (max over time as the adaptive max pool of a [N, F, 1, L] view). */
    @Override
    public Ref trace(GraphTracer.Scope s, Ref tokens) {
        GraphBuilder g = s.graph();
        Ref e = s.child("embedding", tokens);
        Ref r = s.child("relu", s.child("conv", g.call("transpose", e, 1, 2)));
        Ref r4 = g.call("view", r, g.call("size", r, 0), g.call("size", r, 1), 1,
                g.call("size", r, 2));
        Ref p = g.call("adaptive_max_pool2d", r4, java.util.List.of(1L, 1L));
        return s.child("fc", s.child("dropout", g.call("flatten", p, 1)));
    }
}
