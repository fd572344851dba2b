package dev.panflow.cli;

import dev.panflow.UserError;
import dev.panflow.api.Flow;
import dev.panflow.api.LoadOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** --model FILE or --pretrained NAME: where sample, nll and serve get their model from. */
final class ModelSource {
    @Option(names = "--model", paramLabel = "FILE", description = "A checkpoint written by 'panflow train' (model.safetensors).")
    Path model;
    @Option(names = "--pretrained", paramLabel = "NAME",
            description = "Instead of --model, a model that ships with Panflow (no training needed): checkerboard (2-D MLP) or"
                    + " fashion-mnist (class-conditional U-Net); checked against its SHA-256 before use.")
    String pretrained;

    /** Exactly one of the two; a missing file is caught before anything is loaded. */
    void check() {
        if ((model == null) == (pretrained == null)) throw new UserError("give either --model FILE or --pretrained NAME");
        if (model != null && !Files.isRegularFile(model)) throw new UserError("no model file at " + model);
    }

    Flow open(LoadOptions options) {
        check();
        return model != null ? Flow.load(model, options) : Flow.loadPretrained(pretrained, options);
    }

    /** What messages call the model: its file, or "pretrained model NAME". */
    String describe() { return model != null ? model.toString() : "pretrained model " + pretrained; }
}
