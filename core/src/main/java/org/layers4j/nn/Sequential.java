package org.layers4j.nn;

import java.util.ArrayList;
import java.util.List;
import org.layers4j.Tensor;

/**
 * PyTorch's {@code nn.Sequential}: modules applied in order, named {@code 0}, {@code 1}, ... so that
 * state_dict names are {@code <index>.<name>} (e.g. {@code 0.weight}). Intermediate tensors are freed
 * as soon as the next module has consumed them (a recording {@link Tape} keeps its own handles on
 * what backward needs). All modules must be on one backend.
 */
public final class Sequential extends Module {
    private final List<Module> modules;

    public Sequential(Module... modules) {
        super(first(modules).backend());
        for (int i = 0; i < modules.length; i++) {
            if (modules[i] == null) {
                throw new IllegalArgumentException("Sequential module " + i + " is null");
            }
            if (modules[i].backend() != modules[0].backend()) {
                throw new IllegalArgumentException("Sequential module " + i + " is on " + modules[i].backend().name()
                        + " but module 0 is on " + modules[0].backend().name() + "; move them with to(backend)");
            }
            registerModule(Integer.toString(i), modules[i]);
        }
        this.modules = List.of(modules);
    }

    private static Module first(Module[] modules) {
        if (modules == null || modules.length == 0) {
            throw new IllegalArgumentException("Sequential needs at least one module");
        }
        if (modules[0] == null) {
            throw new IllegalArgumentException("Sequential module 0 is null");
        }
        return modules[0];
    }

    /** The modules in order. */
    public List<Module> modules() {
        return modules;
    }

    /** Module i. */
    public Module get(int i) {
        return modules.get(i);
    }

    public int size() {
        return modules.size();
    }

    @Override
    public Tensor forward(Tensor input) {
        requireAnyInput("Sequential", input);
        Tensor x = input;
        try {
            for (Module m : modules) {
                Tensor y = m.forward(x);
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

    @Override
    public Sequential to(org.layers4j.spi.Backend backend) {
        super.to(backend);
        return this;
    }

    /** Names of the children, for messages. */
    List<String> names() {
        return new ArrayList<>(children().keySet());
    }
}
