// Tessel's view of MPI (Debian: libopenmpi-dev; found with `pkg-config ompi-c`).
#include <mpi.h>

// Open MPI spells its predefined handles (MPI_COMM_WORLD, MPI_BYTE, MPI_ERRORS_RETURN) as
// macros over the addresses of library globals, which Swift cannot import. These wrappers
// hand Swift the calls Tessel makes, with the handles filled in.

/// MPI_Init_thread asking for MPI_THREAD_FUNNELED (only the main thread calls MPI; the
/// scheduler's workers never do). Returns an MPI error code; `provided` gets the level granted.
static inline int tessel_mpi_init(int *provided) {
    return MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, provided);
}

/// Whether MPI_Init has run (1) or not (0).
static inline int tessel_mpi_initialized(void) {
    int flag = 0;
    MPI_Initialized(&flag);
    return flag;
}

/// Whether MPI_Finalize has run (1) or not (0).
static inline int tessel_mpi_finalized(void) {
    int flag = 0;
    MPI_Finalized(&flag);
    return flag;
}

/// Makes failing calls on MPI_COMM_WORLD return their error code instead of aborting the job,
/// so that Tessel can report them as errors.
static inline int tessel_mpi_errors_return(void) {
    return MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}

/// This process's rank in MPI_COMM_WORLD.
static inline int tessel_mpi_rank(int *rank) {
    return MPI_Comm_rank(MPI_COMM_WORLD, rank);
}

/// The number of processes in MPI_COMM_WORLD.
static inline int tessel_mpi_size(int *size) {
    return MPI_Comm_size(MPI_COMM_WORLD, size);
}

/// MPI_Allgather of `bytes` bytes from every rank of MPI_COMM_WORLD into `all`, rank order.
static inline int tessel_mpi_allgather_bytes(const void *local, int bytes, void *all) {
    return MPI_Allgather(local, bytes, MPI_BYTE, all, bytes, MPI_BYTE, MPI_COMM_WORLD);
}

/// MPI_Allgatherv of `bytes` bytes from this rank into `all`: rank q's `counts[q]` bytes at
/// byte offset `offsets[q]`, on every rank of MPI_COMM_WORLD.
static inline int tessel_mpi_allgatherv_bytes(const void *local, int bytes, void *all, const int *counts, const int *offsets) {
    return MPI_Allgatherv(local, bytes, MPI_BYTE, all, counts, offsets, MPI_BYTE, MPI_COMM_WORLD);
}

/// MPI_Alltoallv of bytes over MPI_COMM_WORLD: `send_counts[q]` bytes from byte offset
/// `send_offsets[q]` of `send` go to rank q; `receive_counts[q]` bytes from rank q land at byte
/// offset `receive_offsets[q]` of `receive`.
static inline int tessel_mpi_alltoallv_bytes(const void *send, const int *send_counts, const int *send_offsets,
                                             void *receive, const int *receive_counts, const int *receive_offsets) {
    return MPI_Alltoallv(send, send_counts, send_offsets, MPI_BYTE, receive, receive_counts, receive_offsets, MPI_BYTE,
                         MPI_COMM_WORLD);
}

/// MPI_Barrier on MPI_COMM_WORLD.
static inline int tessel_mpi_barrier(void) {
    return MPI_Barrier(MPI_COMM_WORLD);
}

/// The text of MPI error code `code`, written into `text` (at least MPI_MAX_ERROR_STRING bytes).
static inline void tessel_mpi_error_string(int code, char *text) {
    int length = 0;
    MPI_Error_string(code, text, &length);
}

/// MPI_MAX_ERROR_STRING: the size of the buffer tessel_mpi_error_string needs.
static inline int tessel_mpi_max_error_string(void) {
    return MPI_MAX_ERROR_STRING;
}

/// MPI_Abort of the whole job with `code`.
static inline int tessel_mpi_abort(int code) {
    return MPI_Abort(MPI_COMM_WORLD, code);
}

/// MPI_Finalize.
static inline int tessel_mpi_finalize(void) {
    return MPI_Finalize();
}

/// MPI_Wtime: seconds since an arbitrary point in the past.
static inline double tessel_mpi_wtime(void) {
    return MPI_Wtime();
}
