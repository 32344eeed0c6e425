//===- RuntimeTestUtils.h - helpers shared by the runtime tests -*- C++ -*-===//

#ifndef MLOPT_UNITTESTS_RUNTIME_RUNTIMETESTUTILS_H
#define MLOPT_UNITTESTS_RUNTIME_RUNTIMETESTUTILS_H

#include "mlopt/Runtime/ThreadPool.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include "gtest/gtest.h"

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace mlir::mlopt::runtime::testing {

/// Sets the runtime pool's thread count for a scope and restores it.
class ThreadsGuard {
public:
  explicit ThreadsGuard(int threads) : saved(setNumThreads(threads)) {}
  ~ThreadsGuard() { setNumThreads(saved); }

private:
  int saved;
};

/// A fresh directory, removed with its contents at the end of the test.
class TempDir {
public:
  TempDir() {
    std::error_code ec =
        llvm::sys::fs::createUniqueDirectory("mlopt-runtime-test", dir);
    EXPECT_FALSE(ec) << "cannot create a temporary directory: " << ec.message();
  }
  ~TempDir() { llvm::sys::fs::remove_directories(dir); }
  std::string path() const { return std::string(dir.str()); }
  std::string file(llvm::StringRef name) const {
    llvm::SmallString<256> result(dir);
    llvm::sys::path::append(result, name);
    return std::string(result.str());
  }
  /// Names of the entries in the directory, sorted.
  std::vector<std::string> list() const {
    std::vector<std::string> names;
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
         it.increment(ec))
      names.push_back(llvm::sys::path::filename(it->path()).str());
    std::sort(names.begin(), names.end());
    return names;
  }

private:
  llvm::SmallString<256> dir;
};

inline void writeFile(const std::string &path, llvm::ArrayRef<uint8_t> bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

inline std::vector<uint8_t> readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in),
                              std::istreambuf_iterator<char>());
}

/// The message of a failed Expected, or "<success>" when it holds a value.
template <typename T> std::string errorOf(llvm::Expected<T> value) {
  if (value)
    return "<success>";
  return llvm::toString(value.takeError());
}

inline std::string errorOf(llvm::Error error) {
  if (!error)
    return "<success>";
  return llvm::toString(std::move(error));
}

} // namespace mlir::mlopt::runtime::testing

#endif // MLOPT_UNITTESTS_RUNTIME_RUNTIMETESTUTILS_H
