package dev.panflow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.InvalidParameterException;
import dev.panflow.UserError;
import dev.panflow.train.TrainingDiverged;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Library parameter names become the flags the user typed, in the messages the CLI prints. */
class FlagNamesTest {
    @Test
    void camelCaseBecomesKebabCaseExceptWhereTheFlagDiffers() {
        assertEquals("--batch", FlagNames.flag("batch"));
        assertEquals("--lr-schedule", FlagNames.flag("lrSchedule"));
        assertEquals("--max-grad-norm", FlagNames.flag("maxGradNorm"));
        assertEquals("--time-location", FlagNames.flag("timeLocation"));
        assertEquals("--sinkhorn-reg", FlagNames.flag("sinkhornReg"));
        assertEquals("--ema", FlagNames.flag("emaDecay"));
        assertEquals("--cuda-lib-dir", FlagNames.flag("libraryDir"));
    }

    @Test
    void everyExceptionNamesARealFlag() {
        List<String> flags = new ArrayList<>();
        CommandLine cl = new CommandLine(new Main());
        for (CommandLine sub : cl.getSubcommands().values())
            for (CommandLine.Model.OptionSpec o : sub.getCommandSpec().options()) flags.addAll(List.of(o.names()));
        for (Map.Entry<String, String> e : FlagNames.EXCEPTIONS.entrySet())
            assertTrue(flags.contains(e.getValue()), e.getKey() + " → " + e.getValue() + " is no flag of any command");
        for (String p : List.of("batch", "steps", "lr", "lrSchedule", "warmup", "weightDecay", "emaDecay", "maxGradNorm",
                "timeSampling", "timeLocation", "checkpointEvery", "hidden", "layers", "frequencies", "timeEmbedding", "path",
                "backend", "coupling", "sinkhornReg", "model", "labelDropout", "dropout", "channels", "groups", "conditional", "solver",
                "atol", "rtol", "divergence", "probe", "probes", "data", "bitsPerDim", "libraryDir"))
            assertTrue(flags.contains(FlagNames.flag(p)), p + " → " + FlagNames.flag(p) + " is no flag of any command");
    }

    @Test
    void onlyTheListedNamesAsWholeWordsAreRewritten() {
        assertEquals("--batch must be in [1, 4194304], got 0",
                FlagNames.message(InvalidParameterException.range("batch", 1, 1 << 22, 0)));
        assertEquals("--coupling ot solves an exact batch×batch assignment; use --batch ≤ 8192 (got 9000)",
                FlagNames.rewrite("coupling ot solves an exact batch×batch assignment; use batch ≤ 8192 (got 9000)",
                        List.of("batch", "coupling")));
        assertEquals("--ema must be in [0, 1), got 1.5", FlagNames.rewrite("emaDecay must be in [0, 1), got 1.5", List.of("emaDecay")));
        // not a name it lists, part of a longer word, a quoted value or a file: left alone
        assertEquals("the learning rate (--lr 2.0) is too high for this batch, or set --max-grad-norm",
                FlagNames.rewrite("the learning rate (lr 2.0) is too high for this batch, or set maxGradNorm", List.of("lr", "maxGradNorm")));
        assertEquals("--backend cuda trains with --path ot only (got vp); use --backend jvm for other paths",
                FlagNames.rewrite("backend cuda trains with path ot only (got vp); use backend jvm for other paths", List.of("backend", "path")));
        assertEquals("unknown --model 'model'; choose mlp or unet", FlagNames.rewrite("unknown model 'model'; choose mlp or unet", List.of("model")));
        assertEquals("runs/coupling/model.safetensors was trained with --coupling ot",
                FlagNames.rewrite("runs/coupling/model.safetensors was trained with coupling ot", List.of("coupling")));
        assertEquals("--lr-schedule, not lrs or flr", FlagNames.rewrite("lrSchedule, not lrs or flr", List.of("lr", "lrSchedule")));
        assertEquals("try looser --atol and --rtol, or a fixed-step solver",
                FlagNames.message(new UserError("try looser atol and rtol, or a fixed-step solver", List.of("atol", "rtol"))));
        assertEquals("loss is NaN; the learning rate (--lr 0.5) is likely too high",
                FlagNames.message(new TrainingDiverged("loss is NaN; the learning rate (lr 0.5) is likely too high", "lr")));
    }

    @Test
    void aBadFilePassesThroughUnchanged() {
        String m = "data/batch.csv: line 3 has 2 columns, the batch before it 3";
        assertEquals(m, FlagNames.message(new UserError(m)));
    }
}
