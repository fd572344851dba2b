package dev.panflow.cli;

import picocli.CommandLine.Option;

/** The solver options of sample and nll: {@link SolverSettings} with --steps. */
final class SolverOptions extends SolverSettings {
    @Option(names = "--steps", paramLabel = "K", description = "Steps of a fixed-step solver (default: ${DEFAULT-VALUE}).")
    int steps = 100;

    SolverOptions(String defaultSolver) { super(defaultSolver); }

    @Override
    int steps() { return steps; }
}
