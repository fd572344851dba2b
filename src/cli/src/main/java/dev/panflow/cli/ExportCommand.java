package dev.panflow.cli;

import dev.panflow.UserError;
import dev.panflow.api.Flow;
import dev.panflow.api.LoadOptions;
import dev.panflow.api.ModelInfo;
import dev.panflow.api.Pretrained;
import dev.panflow.api.SamplingCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write a sampling checkpoint: the EMA weights and the run's metadata of a checkpoint from 'panflow train',",
                "without the raw weights, Adam moments and RNG state (a quarter of the size). 'sample', 'nll' and 'serve' use it",
                "as they use the full file; 'train --resume' cannot. Prints its size and SHA-256."})
final class ExportCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "FILE", description = "A checkpoint written by 'panflow train'.")
    Path model;
    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write the sampling checkpoint (atomically).")
    Path out;

    @Override
    public Integer call() {
        SamplingCheckpoint.write(model, out);
        try (Flow flow = Flow.load(out, LoadOptions.defaults().threads(1).maxConcurrentCalls(1))) { // it must load as a model
            ModelInfo info = flow.info();
            byte[] bytes = Files.readAllBytes(out);
            System.out.printf("%s: %s model of %s, step %d, %d bytes, SHA-256 %s%n", out, info.kind(), info.data(), info.step(),
                    bytes.length, Pretrained.sha256Hex(bytes));
        } catch (IOException e) {
            throw new UserError("cannot read back " + out + ": " + e.getMessage(), e);
        }
        return 0;
    }
}
