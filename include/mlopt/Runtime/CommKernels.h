//===- CommKernels.h - the collectives compiled code calls ------*- C++ -*-===//
//
// The runtime functions convert-mlopt-to-linalg lowers the collective ops
// to (lib/Conversion/MLOptToLinalg/Collective.cpp); CpuExecutable registers
// them with the JIT. They run on getCommunicatorForCompiledCode() (the
// active communicator, else a world of one) and never throw or abort: an
// error (a timeout, a module compiled for another number of ranks:
// "compiled for N ranks, running on M") is recorded on that communicator,
// the outputs are zero-filled, and every later call does nothing until the
// caller takes the error.
//
// The ABI: pointers are passed as integers (the aligned pointer of a
// dense row-major buffer); `dtype` is the runtime's DType enum value
// (DType.h: f64 0, f32 1, f16 2, bf16 3, i64 4, i32 5, i16 6, i8 7, ui8 8,
// i1 9); `reduction` the IR's ReduceKind (sum 0, mean 1, max 2, min 3);
// `ranks` the op's `ranks`. A variadic op (one bucket) is one
// mlopt_comm_bucket_add per operand, in operand order, then one
// all_reduce / all_gather / reduce_scatter call that packs the bucket into
// one contiguous buffer per dtype and does one exchange for it.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_RUNTIME_COMMKERNELS_H
#define MLOPT_RUNTIME_COMMKERNELS_H

#include <cstdint>

extern "C" {
/// Adds one operand to the pending bucket: `input` (read) and `output`
/// (written) viewed as [outer][ranks?][inner]:
/// - all_reduce: outer 1, inner the element count; output as input;
/// - all_gather along d: outer = prod(shape[0, d)), inner = prod(shape[d,
///   rank)) of the operand; the output is [outer][ranks][inner];
/// - reduce_scatter along d: the operand is [outer][ranks][inner] (inner =
///   prod(shape[d, rank)) / ranks); the output is [outer][inner].
void mlopt_comm_bucket_add(int64_t input, int64_t output, int64_t outer,
                           int64_t inner, int64_t dtype);
/// The pending bucket combined over all ranks; clears it.
void mlopt_comm_all_reduce(int64_t reduction, int64_t ranks);
/// The pending bucket concatenated in rank order; clears it.
void mlopt_comm_all_gather(int64_t ranks);
/// The pending bucket combined, this rank's chunk kept; clears it.
void mlopt_comm_reduce_scatter(int64_t reduction, int64_t ranks);

/// `count` elements: `root`'s `input` into `output` on every rank.
void mlopt_comm_broadcast(int64_t input, int64_t output, int64_t count,
                          int64_t dtype, int64_t root, int64_t ranks);
/// `count` elements combined over all ranks into `output` on `root`; zeros
/// on the other ranks.
void mlopt_comm_reduce(int64_t input, int64_t output, int64_t count,
                       int64_t dtype, int64_t reduction, int64_t root,
                       int64_t ranks);
void mlopt_comm_send(int64_t input, int64_t count, int64_t dtype, int64_t dest,
                     int64_t ranks);
void mlopt_comm_recv(int64_t output, int64_t count, int64_t dtype,
                     int64_t source, int64_t ranks);
/// This rank (local_shard's chunk index); 0 after an error.
int64_t mlopt_comm_rank(int64_t ranks);
}

#endif // MLOPT_RUNTIME_COMMKERNELS_H
