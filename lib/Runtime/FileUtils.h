//===- FileUtils.h - file helpers of the runtime's readers ------*- C++ -*-===//
//
// Internal to MLOptRuntime: the error convention ("<file>: <message>") and
// the whole-file read that the checkpoint and data readers share.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_LIB_RUNTIME_FILEUTILS_H
#define MLOPT_LIB_RUNTIME_FILEUTILS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace mlir::mlopt::runtime::detail {

/// An error whose message starts with the offending file.
llvm::Error fileError(llvm::StringRef path, const llvm::Twine &message);

/// The whole regular file at `path` (binary, memory-mapped where possible),
/// or "<path>: cannot read: <reason>" / "<path>: not a regular file".
llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
readWholeFile(llvm::StringRef path);

/// "[2, 3]".
std::string formatShape(llvm::ArrayRef<int64_t> shape);

/// Product of `dims`, or std::nullopt for a negative dim or an int64_t
/// overflow.
std::optional<int64_t> checkedProduct(llvm::ArrayRef<int64_t> dims);

/// Writes `bytes` to `path` so that no reader ever sees a partial file under
/// any name: an unnamed O_TMPFILE file in the target's directory, written
/// and flushed, then linked and renamed over `path`; where the file system
/// has no O_TMPFILE, a hidden temporary (".NAME.tmp-XXXXXXXX") renamed into
/// place, whose leftovers from a killed save the next save removes. The
/// file gets permission bits `mode` (less the umask). On failure an
/// existing `path` is untouched.
llvm::Error writeFileAtomically(llvm::StringRef path,
                                llvm::ArrayRef<uint8_t> bytes,
                                unsigned mode = 0644);

} // namespace mlir::mlopt::runtime::detail

#endif // MLOPT_LIB_RUNTIME_FILEUTILS_H
