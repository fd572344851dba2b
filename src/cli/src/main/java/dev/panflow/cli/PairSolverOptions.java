package dev.panflow.cli;

import picocli.CommandLine.Option;

/** The solver that makes reflow's pairs: {@link SolverSettings} with --pair-steps (reflow's --steps trains). */
final class PairSolverOptions extends SolverSettings {
    @Option(names = "--pair-steps", paramLabel = "K", description = "Steps of that solver when it is fixed-step (default: ${DEFAULT-VALUE}).")
    int pairSteps = 100;

    PairSolverOptions() { super("dopri5"); }

    @Override
    int steps() { return pairSteps; }
}
