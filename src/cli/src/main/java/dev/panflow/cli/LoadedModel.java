package dev.panflow.cli;

import dev.panflow.UserError;
import dev.panflow.kernels.ConvKernels;
import dev.panflow.kernels.Pool;
import dev.panflow.nn.Mlp;
import dev.panflow.nn.UNet;
import dev.panflow.path.AffinePath;
import dev.panflow.path.Paths;
import dev.panflow.tensor.Workspace;
import dev.panflow.train.Checkpoint;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;

/** A checkpoint made ready to run: the network with its weights, its path and its metadata. */
record LoadedModel(Mlp mlp, AffinePath path, Checkpoint.Model meta) {
    static LoadedModel open(Path file, boolean preferEma, Arena arena, Workspace ws, Pool pool) {
        if (!Files.isRegularFile(file)) throw new UserError("no model file at " + file);
        Checkpoint.Model m = Checkpoint.readModel(file, arena, preferEma);
        if (m.spec().isUnet())
            throw new UserError(file + " is a U-Net model; this command takes MLP models only");
        return new LoadedModel(mlp(m, file, pool, ws), Paths.byName(m.config().path()), m);
    }

    /** The MLP a checkpoint describes, with its weights ({@code file} names it in messages). */
    static Mlp mlp(Checkpoint.Model m, Path file, Pool pool, Workspace ws) {
        Mlp mlp = new Mlp(m.config().mlp(m.dim()), pool, ws);
        Checkpoint.loadWeights(mlp.params(), m.weights(), file);
        return mlp;
    }

    /** The U-Net a checkpoint describes, with its weights, its convolutions run by {@code conv}. */
    static UNet unet(Checkpoint.Model m, Path file, ConvKernels conv, Pool pool, Workspace ws) {
        int[] shape = m.imageShape();
        UNet net = new UNet(m.spec().unet(shape[0], shape[1], shape[2], m.config().frequencies(), m.classes()), conv, pool, ws);
        Checkpoint.loadWeights(net.params(), m.weights(), file);
        return net;
    }
}
