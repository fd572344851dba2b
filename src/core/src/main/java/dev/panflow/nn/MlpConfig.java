package dev.panflow.nn;

import dev.panflow.InvalidParameterException;
import dev.panflow.UserError;

/**
 * Shape of an MLP velocity field: data dimension, hidden width, number of hidden layers, the
 * time embedding ("sinusoidal" with {@code frequencies} frequencies, or "concat"), and how many
 * time inputs it embeds: 1 for v(x, t), 2 for the few-step networks u(x, t, h) whose second
 * input is a step length (MeanFlow's interval, a shortcut model's step size d).
 */
public record MlpConfig(int dim, int hidden, int layers, String timeEmbedding, int frequencies, int timeInputs) {
    /** One time input: v(x, t). */
    public MlpConfig(int dim, int hidden, int layers, String timeEmbedding, int frequencies) {
        this(dim, hidden, layers, timeEmbedding, frequencies, 1);
    }

    public MlpConfig {
        if (timeInputs != 1 && timeInputs != 2) throw InvalidParameterException.range("timeInputs", 1, 2, timeInputs);
        if (dim < 1) throw new UserError("data dimension must be ≥ 1, got " + dim);
        if (hidden < 1 || hidden > 65536) throw InvalidParameterException.range("hidden", 1, 65536, hidden);
        if (layers < 1 || layers > 64) throw InvalidParameterException.range("layers", 1, 64, layers);
        if (!timeEmbedding.equals("sinusoidal") && !timeEmbedding.equals("concat"))
            throw InvalidParameterException.unknown("timeEmbedding", timeEmbedding, "sinusoidal or concat");
        if (timeEmbedding.equals("sinusoidal") && (frequencies < 1 || frequencies > 1024))
            throw InvalidParameterException.range("frequencies", 1, 1024, frequencies);
    }

    /** Width of concat(x, emb(t)[, emb(h)]), the first layer's input. */
    public long inputWidth() {
        return (long) dim + timeInputs * (timeEmbedding.equals("concat") ? 1 : 2L * frequencies);
    }

    /** The same network with {@code n} time inputs. */
    public MlpConfig withTimeInputs(int n) { return new MlpConfig(dim, hidden, layers, timeEmbedding, frequencies, n); }

    /** Weights and biases of the layers + 1 Linear maps, counted without allocating them. */
    public long parameterCount() {
        long h = hidden;
        return (inputWidth() * h + h) + (layers - 1) * (h * h + h) + (h * dim + dim);
    }

    public TimeEmbedding embedding() {
        return timeEmbedding.equals("concat") ? TimeEmbedding.concat() : TimeEmbedding.sinusoidal(frequencies);
    }
}
