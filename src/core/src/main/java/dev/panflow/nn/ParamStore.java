package dev.panflow.nn;

import dev.panflow.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * All parameters of a model in one flat value buffer and one flat gradient buffer.
 * Layers {@link #declare} their parameters while they are built; {@link #allocate} then makes
 * the buffers once and points every {@link Param} at its slice.
 */
public final class ParamStore {
    private final List<Param> params = new ArrayList<>();
    private long total;
    private Tensor values;
    private Tensor grads;

    public Param declare(String name, int... shape) {
        if (values != null) throw new IllegalStateException("cannot declare after allocate()");
        for (Param p : params)
            if (p.name().equals(name)) throw new IllegalArgumentException("duplicate parameter " + name);
        Param p = new Param(name, shape, total);
        // Keep every parameter 16-float aligned (64 bytes) so each slice starts on a cache line.
        total += (p.size() + 15) / 16 * 16;
        params.add(p);
        return p;
    }

    public void allocate(Arena arena) {
        if (values != null) throw new IllegalStateException("already allocated");
        values = Tensor.allocate(arena, (int) total);
        grads = Tensor.allocate(arena, (int) total);
        for (Param p : params) {
            p.value = view(values, p);
            p.grad = view(grads, p);
        }
    }

    private static Tensor view(Tensor flat, Param p) {
        return Tensor.wrap(flat.segment().asSlice(4L * p.offset(), 4L * p.size()), p.shape());
    }

    /** Named views of {@code flat} (a buffer laid out like the values: EMA, Adam moments). */
    public Map<String, Tensor> views(Tensor flat, String prefix) {
        if (flat.size() != total) throw new IllegalArgumentException("flat buffer of " + flat.size() + " floats, store has " + total);
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Param p : params) out.put(prefix + p.name(), view(flat, p));
        return out;
    }

    public List<Param> params() { return Collections.unmodifiableList(params); }

    /** Length of the flat buffers in floats (parameters plus alignment padding). */
    public long flatSize() { return total; }

    /** Number of real parameters (without padding). */
    public long count() {
        long n = 0;
        for (Param p : params) n += p.size();
        return n;
    }

    public Tensor values() { return values; }
    public Tensor grads() { return grads; }
}
