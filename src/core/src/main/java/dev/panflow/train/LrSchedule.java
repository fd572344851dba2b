package dev.panflow.train;

import dev.panflow.InvalidParameterException;

/** How the learning rate moves after the warm-up: held, or a cosine decay to lr/10 at the horizon. */
public enum LrSchedule {
    CONSTANT("constant"), COSINE("cosine");

    /** The name users type and checkpoints record. */
    public final String id;

    LrSchedule(String id) { this.id = id; }

    public static LrSchedule byName(String name) {
        for (LrSchedule s : values()) if (s.id.equals(name)) return s;
        throw InvalidParameterException.unknown("lrSchedule", name, "constant or cosine");
    }
}
