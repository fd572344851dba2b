package dev.panflow.train;

import dev.panflow.InvalidParameterException;
import java.util.Map;

/**
 * What the network learns, and so how it samples. {@link #CFM}: the velocity v(x, t), integrated
 * by any ODE solver. The few-step objectives learn a jump over a step of length h,
 * x_{t+h} = x_t + h·u(x_t, t, h), with h as a second time input of the network:
 * {@link #MEANFLOW} (Geng et al. 2025: u is the average velocity over [t, t + h]) and
 * {@link #SHORTCUT} (Frans et al. 2024: u is the shortcut for step size d = h). Recorded in the
 * checkpoint (key "objective"; absent in older files: cfm).
 */
public enum Objective {
    CFM("cfm", 1), MEANFLOW("meanflow", 2), SHORTCUT("shortcut", 2);

    public static final String CHOICES = "cfm, meanflow or shortcut";
    /** The checkpoint metadata key. */
    public static final String KEY = "objective";
    /** The name users type and checkpoints record. */
    public final String id;
    private final int timeInputs;

    Objective(String id, int timeInputs) {
        this.id = id;
        this.timeInputs = timeInputs;
    }

    /** Time inputs of the network: 1 for v(x, t), 2 for u(x, t, h). */
    public int timeInputs() { return timeInputs; }

    /** True for the objectives sampled by the few-step rule instead of an ODE solver. */
    public boolean fewStep() { return this != CFM; }

    public static Objective byName(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(java.util.Locale.ROOT);
        for (Objective o : values()) if (o.id.equals(n)) return o;
        throw InvalidParameterException.unknown("objective", name, CHOICES);
    }

    /** From checkpoint metadata: files written before objectives existed are cfm. */
    public static Objective fromMetadata(Map<String, String> meta, Object file) {
        String v = meta.getOrDefault(KEY, CFM.id);
        for (Objective o : values()) if (o.id.equals(v)) return o;
        throw new dev.panflow.UserError(file + ": metadata 'objective' is '" + v + "', not one of " + CHOICES);
    }
}
