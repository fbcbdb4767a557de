package org.layers4j.graph.passes;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.layers4j.DType;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.io.HostTensor;

/**
 * The state of a {@link FrozenGraph} by state_dict name, in order: each value either a host tensor (what a pass
 * computed, or what a caller gave) or a model's own tensor, read to the host only when a pass asks for it
 * ({@link #get}: a new host copy each time, kept by nobody). A compilation thus copies to the host only what its
 * passes read (BatchNorm statistics and the weights they fold), and {@link #source} tells which values no pass
 * changed, so that the compiled model can share them with the model it was compiled from.
 *
 * <p>{@link FrozenGraph} holds an unmodifiable one; a pass edits a {@link #copyOf copy} ({@link #put},
 * {@link #remove}, removal through the key set) before it builds its result. Iterating the entries reads every
 * model tensor: passes read values by name.
 *
 * <p>A value may also be <em>owned</em>: a host tensor nobody outside the state holds ({@link #owning}: a model
 * file's tensors handed over by the loader; {@link #give}: what a pass computed). The one pass or builder that
 * {@link #take}s it may overwrite its arrays in place, as BatchNorm folding does with a weight, so that a compilation
 * holds each weight once; every copy of the state shares that ownership, and reading a value after it was taken,
 * through any copy, throws instead of returning what it has become.
 */
public final class FrozenState extends AbstractMap<String, HostTensor> {
    /** An owned host value, and whether it was taken (then nobody may read it any more). */
    private static final class Owned {
        final HostTensor value;
        boolean taken;

        Owned(HostTensor value) {
            this.value = value;
        }
    }

    /** HostTensor, Owned or Tensor by name. */
    private final LinkedHashMap<String, Object> values;
    private final boolean mutable;

    private FrozenState(LinkedHashMap<String, Object> values, boolean mutable) {
        this.values = values;
        this.mutable = mutable;
    }

    /**
     * A mutable copy of {@code state}; a FrozenState's model tensors stay unread (they are referenced, not copied:
     * the model must keep them open and unchanged while the copy is used).
     */
    public static FrozenState copyOf(Map<String, HostTensor> state) {
        LinkedHashMap<String, Object> v = new LinkedHashMap<>();
        if (state instanceof FrozenState f) {
            v.putAll(f.values);
        } else {
            state.forEach((k, t) -> {
                if (k == null || t == null) {
                    throw new IllegalArgumentException("a frozen state has no null names or values");
                }
                v.put(k, t);
            });
        }
        return new FrozenState(v, true);
    }

    /**
     * A mutable state owning {@code state}'s host tensors: the caller gives them up (it must neither read nor write
     * their arrays afterwards), so that passes and the compiled model may use the arrays themselves.
     */
    public static FrozenState owning(Map<String, HostTensor> state) {
        LinkedHashMap<String, Object> v = new LinkedHashMap<>();
        state.forEach((k, t) -> {
            if (k == null || t == null) {
                throw new IllegalArgumentException("a frozen state has no null names or values");
            }
            v.put(k, new Owned(t));
        });
        return new FrozenState(v, true);
    }

    /**
     * An unmodifiable state of a model's tensors, read when a pass asks for them (they are referenced, not copied:
     * the model must keep them open and unchanged while it is used).
     */
    public static FrozenState of(Map<String, Tensor> tensors) {
        LinkedHashMap<String, Object> v = new LinkedHashMap<>();
        tensors.forEach((k, t) -> {
            if (k == null || t == null) {
                throw new IllegalArgumentException("a frozen state has no null names or tensors");
            }
            v.put(k, t);
        });
        return new FrozenState(v, false);
    }

    /** An unmodifiable copy (this, when it is unmodifiable). */
    FrozenState frozen() {
        return mutable ? new FrozenState(new LinkedHashMap<>(values), false) : this;
    }

    /**
     * The model's tensor {@code name} still holds, when no pass replaced it; null for a value a pass or caller gave
     * as a host tensor, or a name not in the state.
     */
    public Tensor source(String name) {
        return values.get(name) instanceof Tensor t ? t : null;
    }

    @Override
    public HostTensor get(Object name) {
        return read(name, values.get(name));
    }

    /** The shape of value {@code name} without reading it, or null when there is none. */
    public Shape shape(String name) {
        Object v = values.get(name);
        return v == null ? null : v instanceof Tensor t ? t.shape() : read(name, v).shape();
    }

    /** The element type of value {@code name} without reading it, or null when there is none. */
    public DType dtype(String name) {
        Object v = values.get(name);
        return v == null ? null : v instanceof Tensor t ? t.dtype() : read(name, v).dtype();
    }

    /**
     * Removes value {@code name} and returns it as arrays the caller may overwrite (null when there is none): an
     * owned value itself (taken for good: reading it through any copy of this state throws from now on), a model
     * tensor read to a new host copy, a caller's host tensor copied.
     */
    public HostTensor take(String name) {
        requireMutable();
        Object v = values.remove(name);
        if (v == null) {
            return null;
        }
        if (v instanceof Owned o) {
            HostTensor h = read(name, o);
            o.taken = true;
            return h;
        }
        if (v instanceof Tensor t) {
            return host(t);
        }
        HostTensor h = (HostTensor) v;
        return h.dtype() == DType.INT64 ? HostTensor.ofLongs(h.shape(), h.longs().clone())
                : new HostTensor(h.shape(), h.data().clone());
    }

    /** Puts a value this state owns from now on: the caller gives it up (see {@link #owning}). */
    public void give(String name, HostTensor value) {
        requireMutable();
        if (name == null || value == null) {
            throw new IllegalArgumentException("a frozen state has no null names or values");
        }
        values.put(name, new Owned(value));
    }

    /** A stored value as a host tensor: model tensors read to a new copy; owned ones only while not taken. */
    private static HostTensor read(Object name, Object v) {
        if (v instanceof Owned o) {
            if (o.taken) {
                throw new IllegalStateException("the value of '" + name + "' was taken by a pass (and may have been"
                        + " overwritten): read the state that pass produced");
            }
            return o.value;
        }
        return v instanceof Tensor t ? host(t) : (HostTensor) v;
    }

    @Override
    public boolean containsKey(Object name) {
        return values.containsKey(name);
    }

    @Override
    public int size() {
        return values.size();
    }

    @Override
    public HostTensor put(String name, HostTensor value) {
        requireMutable();
        if (name == null || value == null) {
            throw new IllegalArgumentException("a frozen state has no null names or values");
        }
        Object old = values.put(name, value);
        return old == null || old instanceof Owned o && o.taken ? null : read(name, old);
    }

    /** Removes a value without reading it; returns null (the old value is not read to the host). */
    @Override
    public HostTensor remove(Object name) {
        requireMutable();
        values.remove(name);
        return null;
    }

    @Override
    public Set<String> keySet() {
        return mutable ? values.keySet() : java.util.Collections.unmodifiableSet(values.keySet());
    }

    @Override
    public Set<Entry<String, HostTensor>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<Entry<String, HostTensor>> iterator() {
                Iterator<Entry<String, Object>> it = values.entrySet().iterator();
                return new Iterator<>() {
                    @Override
                    public boolean hasNext() {
                        return it.hasNext();
                    }

                    @Override
                    public Entry<String, HostTensor> next() {
                        Entry<String, Object> e = it.next();
                        return new SimpleImmutableEntry<>(e.getKey(), read(e.getKey(), e.getValue()));
                    }

                    @Override
                    public void remove() {
                        requireMutable();
                        it.remove();
                    }
                };
            }

            @Override
            public int size() {
                return values.size();
            }
        };
    }

    private void requireMutable() {
        if (!mutable) {
            throw new UnsupportedOperationException("a frozen graph's state is unmodifiable; edit FrozenState.copyOf");
        }
    }

    /** A host copy of a model tensor. */
    private static HostTensor host(Tensor t) {
        return t.dtype() == DType.INT64 ? HostTensor.ofLongs(t.shape(), t.toLongArray())
                : new HostTensor(t.shape(), t.toArray());
    }
}
