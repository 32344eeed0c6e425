//===- FuzzFile.h - a fuzz input as a file, for the file readers -*- C++
//-*-===//
//
// The data readers (readNpy, readIdxImages, readIdxLabels) take a path and
// go through readFileMaybeGzip, so the fuzz targets write each input to one
// file per process (in /dev/shm when it exists: no disk I/O) and read it back.
// The gzip path is fuzzed along: an input starting with 1f 8b is inflated.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_FUZZ_FUZZFILE_H
#define MLOPT_FUZZ_FUZZFILE_H

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace mlopt_fuzz {

/// Sets the runtime's allocation limit low, so an input whose header asks for
/// a huge array fails with the runtime's own error rather than going past
/// libFuzzer's RSS limit.
inline void limitAllocations() {
  ::setenv("MLOPT_MAX_ALLOCATION_BYTES", "67108864", /*overwrite=*/0);
}

/// The path of this process's input file for `suffix`; every such file is
/// removed at exit.
inline std::string inputPath(const char *suffix) {
  static std::vector<std::string> *created = [] {
    static std::vector<std::string> paths;
    std::atexit([] {
      for (const std::string &path : paths)
        ::unlink(path.c_str());
    });
    return &paths;
  }();
  const char *dir = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : nullptr;
  if (!dir)
    dir = std::getenv("TMPDIR");
  if (!dir || !*dir)
    dir = "/tmp";
  std::string path =
      std::string(dir) + "/mlopt-fuzz-" + std::to_string(::getpid()) + suffix;
  if (std::find(created->begin(), created->end(), path) == created->end())
    created->push_back(path);
  return path;
}

/// Replaces the contents of inputPath(suffix) with `data`; aborts when the
/// file cannot be written (a broken harness, not a finding).
inline std::string writeInput(const uint8_t *data, size_t size,
                              const char *suffix) {
  std::string path = inputPath(suffix);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::perror(path.c_str());
    std::abort();
  }
  size_t written = 0;
  while (written < size) {
    ssize_t n = ::write(fd, data + written, size - written);
    if (n <= 0) {
      std::perror(path.c_str());
      std::abort();
    }
    written += size_t(n);
  }
  ::close(fd);
  return path;
}

} // namespace mlopt_fuzz

#endif // MLOPT_FUZZ_FUZZFILE_H
