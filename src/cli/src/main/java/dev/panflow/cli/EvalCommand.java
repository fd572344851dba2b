package dev.panflow.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Image quality: fit the feature network FID reads (train-features), then score samples (fid)."},
        subcommands = {TrainFeaturesCommand.class, FidCommand.class})
final class EvalCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: choose train-features or fid (see --help)");
    }
}
