package dev.panflow.cli;

import dev.panflow.UserError;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code panflow} command line: train, sample, nll, reflow, experiment, bench, serve, plot. */
@Command(name = "panflow", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Conditional Flow Matching on the JVM: train continuous normalizing flows and sample from them.",
        subcommands = {TrainCommand.class, SampleCommand.class, ExportCommand.class,
                NllCommand.class,
                ReflowCommand.class,
                ExperimentCommand.class,
                BenchCommand.class,
                ServeCommand.class,
                EvalCommand.class,
                PlotCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    /** The Panflow version (the CLI's --version, run.json). */
    static final String VERSION = "0.1.0";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: choose train, sample, export, nll, reflow, experiment, bench, serve, plot or eval (see --help)");
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit code: 0 ok, 2 bad input (one line on stderr), 1 a bug. */
    public static int run(String... args) {
        System.setProperty("java.awt.headless", "true");
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            Throwable e = ex;
            while (!(e instanceof UserError) && e.getCause() != null && e.getCause() != e) e = e.getCause();
            if (e instanceof UserError u) {
                System.err.println("panflow: error: " + FlagNames.message(u)); // library parameter names → flags
                return 2;
            }
            System.err.println("panflow: internal error (please report it):");
            ex.printStackTrace();
            return 1;
        });
        cl.setParameterExceptionHandler((ex, args2) -> {
            System.err.println("panflow: error: " + ex.getMessage());
            System.err.println("Run '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help' for usage.");
            return 2;
        });
        return cl.execute(args);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"panflow " + VERSION + " (Java " + Runtime.version() + ", vector species "
                    + jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length() + " floats)"};
        }
    }
}
