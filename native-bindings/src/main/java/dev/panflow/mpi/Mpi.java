package dev.panflow.mpi;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.panflow.UserError;
import dev.panflow.dist.Collective;
import dev.panflow.dist.RowSplit;
import dev.panflow.nativelib.NativeLibrary;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.List;

/**
 * {@link Collective} over Open MPI 4.1 ({@code libmpi.so.40}, Debian {@code openmpi-bin}), bound
 * by hand with FFM. Open MPI's predefined handles are the addresses of exported objects
 * ({@code MPI_COMM_WORLD} = {@code &ompi_mpi_comm_world}, likewise {@code ompi_mpi_float},
 * {@code ompi_mpi_double}, {@code ompi_mpi_op_sum}), so they are looked up, not hard-coded.
 * Only the thread that opened it may call it (MPI_THREAD_FUNNELED); buffers must be native.
 */
public final class Mpi implements Collective {
    static final String INSTALL = "apt-get install openmpi-bin libopenmpi-dev (Open MPI 4.1, libmpi.so.40), then start with mpirun";
    private static final MemorySegment IN_PLACE = MemorySegment.ofAddress(1); // mpi.h: MPI_IN_PLACE ((void *) 1)
    private static final int THREAD_FUNNELED = 1;                              // mpi.h enum: SINGLE, FUNNELED, ...
    /** Largest count one MPI call takes (its count is a C int); longer buffers go in pieces. */
    static final int MAX_COUNT = 1 << 30;

    private final MethodHandle allreduce, bcast, barrier, gatherv, finalizeH, finalized;
    private final MemorySegment comm, floatType, doubleType, sum;
    private final Thread owner = Thread.currentThread();
    private final MemorySegment doubles = Arena.ofAuto().allocate(JAVA_DOUBLE, 16); // reused: a step allocates nothing
    private final int rank, size;
    private boolean closed;

    private Mpi(NativeLibrary lib) {
        MethodHandle init = lib.downcall("MPI_Init_thread", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS));
        MethodHandle initialized = lib.downcall("MPI_Initialized", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        MethodHandle commRank = lib.downcall("MPI_Comm_rank", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        MethodHandle commSize = lib.downcall("MPI_Comm_size", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        allreduce = lib.downcall("MPI_Allreduce", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        bcast = lib.downcall("MPI_Bcast", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
        barrier = lib.downcall("MPI_Barrier", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        gatherv = lib.downcall("MPI_Gatherv", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS));
        finalizeH = lib.downcall("MPI_Finalize", FunctionDescriptor.of(JAVA_INT));
        finalized = lib.downcall("MPI_Finalized", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        comm = lib.symbol("ompi_mpi_comm_world");
        floatType = lib.symbol("ompi_mpi_float");
        doubleType = lib.symbol("ompi_mpi_double");
        sum = lib.symbol("ompi_mpi_op_sum");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_INT);
            check((int) initialized.invokeExact(out), "MPI_Initialized");
            if (out.get(JAVA_INT, 0) == 0) {
                check((int) init.invokeExact(MemorySegment.NULL, MemorySegment.NULL, THREAD_FUNNELED, out), "MPI_Init_thread");
            }
            check((int) commRank.invokeExact(comm, out), "MPI_Comm_rank");
            rank = out.get(JAVA_INT, 0);
            check((int) commSize.invokeExact(comm, out), "MPI_Comm_size");
            size = out.get(JAVA_INT, 0);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("MPI initialisation failed", t);
        }
    }

    /**
     * Opens libmpi and initialises MPI in this process (once per process: MPI cannot be
     * initialised again after {@link #close}). A missing library is a {@link UserError} naming
     * the package.
     */
    public static Mpi open() {
        return open(List.of("libmpi.so.40", "libmpi.so", "/usr/lib/x86_64-linux-gnu/libmpi.so.40"));
    }

    static Mpi open(List<String> candidates) {
        return new Mpi(NativeLibrary.open("Open MPI", INSTALL, candidates));
    }

    /** True when this process was started by mpirun/mpiexec (Open MPI sets these). */
    public static boolean launchedByMpirun() {
        return System.getenv("OMPI_COMM_WORLD_SIZE") != null || System.getenv("PMIX_RANK") != null;
    }

    @Override public int rank() { return rank; }
    @Override public int size() { return size; }

    @Override
    public void allreduceSum(MemorySegment floats, long count) {
        checkBuffer(floats, 4L * count);
        for (long done = 0; done < count; done += MAX_COUNT) {
            int n = (int) Math.min(MAX_COUNT, count - done);
            MemorySegment piece = done == 0 ? floats : floats.asSlice(4L * done); // no garbage in the usual one-piece case
            int rc;
            try {
                rc = (int) allreduce.invokeExact(IN_PLACE, piece, n, floatType, sum, comm);
            } catch (Throwable t) {
                throw failed("MPI_Allreduce", t);
            }
            check(rc, "MPI_Allreduce");
        }
    }

    @Override
    public void allreduceSum(double[] values) {
        if (values.length > 16) throw new IllegalArgumentException("at most 16 doubles, got " + values.length);
        checkBuffer(doubles, 0);
        MemorySegment buf = doubles;
        MemorySegment.copy(values, 0, buf, JAVA_DOUBLE, 0, values.length);
        {
            int rc;
            try {
                rc = (int) allreduce.invokeExact(IN_PLACE, buf, values.length, doubleType, sum, comm);
            } catch (Throwable t) {
                throw failed("MPI_Allreduce", t);
            }
            check(rc, "MPI_Allreduce");
            MemorySegment.copy(buf, JAVA_DOUBLE, 0, values, 0, values.length);
        }
    }

    @Override
    public void broadcast(MemorySegment floats, long count, int root) {
        checkBuffer(floats, 4L * count);
        if (root < 0 || root >= size) throw new IllegalArgumentException("root " + root + " not in [0, " + size + ")");
        for (long done = 0; done < count; done += MAX_COUNT) {
            int n = (int) Math.min(MAX_COUNT, count - done);
            MemorySegment piece = done == 0 ? floats : floats.asSlice(4L * done);
            int rc;
            try {
                rc = (int) bcast.invokeExact(piece, n, floatType, root, comm);
            } catch (Throwable t) {
                throw failed("MPI_Bcast", t);
            }
            check(rc, "MPI_Bcast");
        }
    }

    @Override
    public void gatherRows(MemorySegment local, MemorySegment all, RowSplit split, int cols) {
        if (split.ranks() != size) throw new IllegalArgumentException("split over " + split.ranks() + " ranks, job has " + size);
        if (split.total() * cols > Integer.MAX_VALUE)
            throw new UserError("gathering " + split.total() + " rows of " + cols + " floats over MPI: at most "
                    + Integer.MAX_VALUE + " floats in all (fewer samples)");
        int mine = split.rows(rank) * cols;
        checkBuffer(local, 4L * mine);
        if (rank == 0) checkBuffer(all, 4L * split.total() * cols);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment counts = a.allocate(JAVA_INT, size), displs = a.allocate(JAVA_INT, size);
            for (int r = 0; r < size; r++) {
                counts.setAtIndex(JAVA_INT, r, split.rows(r) * cols);
                displs.setAtIndex(JAVA_INT, r, (int) (split.first(r) * cols));
            }
            MemorySegment recv = rank == 0 ? all : MemorySegment.NULL;
            int rc;
            try {
                rc = (int) gatherv.invokeExact(local, mine, floatType, recv, counts, displs, floatType, 0, comm);
            } catch (Throwable t) {
                throw failed("MPI_Gatherv", t);
            }
            check(rc, "MPI_Gatherv");
        }
    }

    @Override
    public void barrier() {
        ownerOnly();
        int rc;
        try {
            rc = (int) barrier.invokeExact(comm);
        } catch (Throwable t) {
            throw failed("MPI_Barrier", t);
        }
        check(rc, "MPI_Barrier");
    }

    /** MPI_Finalize, once; every rank must call it before exiting normally. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        ownerOnly();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment flag = a.allocate(JAVA_INT);
            check((int) finalized.invokeExact(flag), "MPI_Finalized");
            if (flag.get(JAVA_INT, 0) == 0) check((int) finalizeH.invokeExact(), "MPI_Finalize");
        } catch (Throwable t) {
            throw failed("MPI_Finalize", t);
        }
    }

    @Override
    public String toString() { return "MPI rank " + rank + " of " + size; }

    private void checkBuffer(MemorySegment seg, long bytes) {
        ownerOnly();
        if (closed) throw new IllegalStateException("MPI already finalized");
        if (!seg.isNative()) throw new IllegalArgumentException("MPI needs a native segment, not a heap one");
        if (seg.byteSize() < bytes) throw new IllegalArgumentException("buffer of " + seg.byteSize() + " bytes, call needs " + bytes);
    }

    private void ownerOnly() {
        if (Thread.currentThread() != owner)
            throw new IllegalStateException("MPI is used from " + Thread.currentThread().getName() + "; only " + owner.getName() + " may call it");
    }

    private static RuntimeException failed(String what, Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(what + " failed", t);
    }

    private static void check(int rc, String what) {
        // MPI's default handler (MPI_ERRORS_ARE_FATAL) aborts the job first; this catches the rest.
        if (rc != 0) throw new IllegalStateException(what + " returned MPI error " + rc);
    }
}
