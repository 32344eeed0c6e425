//===- RuntimeError.h - the runtime's error helper --------------*- C++ -*-===//
//
// Internal to lib/Runtime: every runtime failure is one llvm::Error whose
// message is the whole, user-facing sentence.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_LIB_RUNTIME_RUNTIMEERROR_H
#define MLOPT_LIB_RUNTIME_RUNTIMEERROR_H

#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"

namespace mlir::mlopt::runtime::detail {

/// An error carrying `message` as it is.
inline llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(message.str());
}

} // namespace mlir::mlopt::runtime::detail

#endif // MLOPT_LIB_RUNTIME_RUNTIMEERROR_H
