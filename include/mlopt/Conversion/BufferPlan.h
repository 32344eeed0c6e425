//===- BufferPlan.h - the facts mlopt-allocs-to-globals records -*- C++ -*-===//
//
// Header-only, so that the dialect's verifier and the runtime can name the
// attributes without depending on the conversion library.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_CONVERSION_BUFFERPLAN_H
#define MLOPT_CONVERSION_BUFFERPLAN_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>

namespace mlir::mlopt {

/// Set by mlopt-allocs-to-globals on every function it plans (i64 byte
/// counts): the bytes its planned buffers take (its arena, buffers sharing
/// bytes by liveness) and what they would take without sharing (their sum).
inline constexpr llvm::StringLiteral kBufferBytesAttrName =
    "mlopt.buffer_bytes";
inline constexpr llvm::StringLiteral kTemporaryBytesAttrName =
    "mlopt.temporary_bytes";

/// One function's planned buffers, as those attributes give them.
struct BufferBytes {
  /// What the buffers take, sharing bytes by liveness (the arena).
  uint64_t planned = 0;
  /// Their sum: what they would take without sharing.
  uint64_t temporaries = 0;
};

} // namespace mlir::mlopt

#endif // MLOPT_CONVERSION_BUFFERPLAN_H
