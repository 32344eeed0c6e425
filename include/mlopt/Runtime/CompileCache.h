//===- CompileCache.h - the on-disk cache of compiled code ------*- C++ -*-===//
//
// Compiled object code is cached on disk and loaded as native code, so the
// cache must not be a way to run someone else's code (DESIGN section 5):
//   - it lives in $MLOPT_CACHE_DIR or ~/.cache/mlopt, an absolute path, never
//     under the current directory (no HOME and no MLOPT_CACHE_DIR: no cache);
//   - the directory is created with mode 0700 and used only while it is owned
//     by the user and not writable by group or others;
//   - an entry is a regular file owned by the user, not writable by group or
//     others, holding a magic line, the SHA-256 of the object and the object;
//     it is written to a temporary file and renamed into place, and its hash
//     is checked before the object is handed to the JIT.
// A refused or corrupt entry is a miss: the code is compiled again and the
// entry replaced.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_RUNTIME_COMPILECACHE_H
#define MLOPT_RUNTIME_COMPILECACHE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>
#include <optional>
#include <string>

namespace mlir::mlopt::runtime {

class CompileCache {
public:
  /// The cache in `directory` (empty: $MLOPT_CACHE_DIR, else
  /// $HOME/.cache/mlopt), created with mode 0700 when absent. std::nullopt,
  /// with the reason in `why`, when no safe directory can be used: none is
  /// configured, it is relative, it cannot be created, or it is not the
  /// user's alone.
  static std::optional<CompileCache> open(llvm::StringRef directory,
                                          std::string *why = nullptr);

  llvm::StringRef getDirectory() const { return directory; }
  /// The file that holds the entry `key`.
  std::string getEntryPath(llvm::StringRef key) const;

  /// The object stored under `key`, after every check above; null on a
  /// miss, with the reason in `why` when an entry was there but refused.
  std::unique_ptr<llvm::MemoryBuffer> load(llvm::StringRef key,
                                           std::string *why = nullptr) const;
  /// Stores `object` under `key`, atomically.
  llvm::Error store(llvm::StringRef key, llvm::StringRef object) const;

private:
  explicit CompileCache(std::string directory)
      : directory(std::move(directory)) {}
  std::string directory;
};

} // namespace mlir::mlopt::runtime

#endif // MLOPT_RUNTIME_COMPILECACHE_H
