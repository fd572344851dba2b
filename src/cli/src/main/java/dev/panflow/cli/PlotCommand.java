package dev.panflow.cli;

import dev.panflow.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "plot", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Overlay the loss curves (smoothed, log scale) and learning rates of training runs,",
                "read from each DIR/metrics.jsonl (or a metrics.jsonl file given directly), into one PNG."})
final class PlotCommand implements Callable<Integer> {
    @Parameters(paramLabel = "DIR", arity = "1..*", description = "Run folders (with metrics.jsonl) or metrics.jsonl files.")
    List<Path> runs;
    @Option(names = "--out", paramLabel = "FILE.png", description = "The picture (default: ${DEFAULT-VALUE}).")
    Path out = Path.of("loss.png");
    @Option(names = "--raw", description = "Also draw the raw (unsmoothed) losses, faint.")
    boolean raw;

    @Override
    public Integer call() throws IOException {
        List<LossPlot.Run> list = new ArrayList<>();
        for (Path p : runs) {
            Path file = Files.isDirectory(p) ? p.resolve("metrics.jsonl") : p;
            if (!Files.isRegularFile(file)) throw new UserError("no metrics.jsonl at " + file + " (train with --out DIR writes one)");
            List<RunLog.Metric> ms = RunLog.read(file);
            if (ms.isEmpty()) throw new UserError(file + " holds no metrics records");
            Path named = Files.isDirectory(p) ? p : p.toAbsolutePath().getParent();
            list.add(new LossPlot.Run(named == null || named.getFileName() == null ? p.toString() : named.getFileName().toString(), ms));
        }
        if (out.getParent() != null) Files.createDirectories(out.getParent());
        LossPlot.write(out, list.size() == 1 ? "loss: " + list.getFirst().name() : "loss: " + list.size() + " runs", list, raw || list.size() == 1);
        System.out.println("wrote " + out);
        return 0;
    }
}
