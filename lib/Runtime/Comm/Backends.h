//===- Backends.h - the communicator backends (internal) --------*- C++ -*-===//
//
// Internal to lib/Runtime/Comm: how getWorldCommunicator reaches the MPI
// backend, which is only compiled when CMake found MPI.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_LIB_RUNTIME_COMM_BACKENDS_H
#define MLOPT_LIB_RUNTIME_COMM_BACKENDS_H

#include "mlopt/Runtime/Communicator.h"

namespace mlir::mlopt::runtime::detail {

/// Whether this process was started by an MPI launcher (mpirun sets
/// OMPI_COMM_WORLD_SIZE; Hydra and PMIx launchers PMI_RANK / PMIX_RANK).
bool isLaunchedByMpi();

#ifdef MLOPT_HAVE_MPI
/// The MPI world: MPI_Init_thread on the first call, MPI_Finalize at exit.
llvm::Expected<Communicator &> getMpiWorldCommunicator();
#endif

} // namespace mlir::mlopt::runtime::detail

#endif // MLOPT_LIB_RUNTIME_COMM_BACKENDS_H
