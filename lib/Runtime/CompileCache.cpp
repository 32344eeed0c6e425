//===- CompileCache.cpp - the on-disk cache of compiled code --------------===//

#include "mlopt/Runtime/CompileCache.h"
#include "FileUtils.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/SHA256.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace mlir::mlopt::runtime;

static constexpr llvm::StringLiteral kMagic = "mlopt-compile-cache-entry 1\n";
static constexpr size_t kHashHexSize = 64;

static std::string hashHex(llvm::StringRef bytes) {
  return llvm::toHex(llvm::SHA256::hash(llvm::arrayRefFromStringRef(bytes)),
                     /*LowerCase=*/true);
}

/// Why `st` may not be trusted as the user's own, or "" when it may.
static std::string checkOwnership(const struct stat &st,
                                  const llvm::Twine &what) {
  if (st.st_uid != geteuid())
    return (what + " is owned by uid " + llvm::Twine(st.st_uid) +
            ", not by this user")
        .str();
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    return (what + " is writable by group or others").str();
  return "";
}

static void setWhy(std::string *why, std::string text) {
  if (why)
    *why = std::move(text);
}

std::optional<CompileCache> CompileCache::open(llvm::StringRef requested,
                                               std::string *why) {
  llvm::SmallString<256> path(requested);
  if (path.empty()) {
    if (std::optional<std::string> dir =
            llvm::sys::Process::GetEnv("MLOPT_CACHE_DIR")) {
      path = *dir;
    } else if (std::optional<std::string> home =
                   llvm::sys::Process::GetEnv("HOME")) {
      path = *home;
      llvm::sys::path::append(path, ".cache", "mlopt");
    } else {
      setWhy(why, "neither MLOPT_CACHE_DIR nor HOME is set");
      return std::nullopt;
    }
  }
  if (!llvm::sys::path::is_absolute(path)) {
    setWhy(why, ("the cache directory '" + path + "' is not absolute").str());
    return std::nullopt;
  }
  // Parents as usual; the cache directory itself private to the user.
  llvm::StringRef parent = llvm::sys::path::parent_path(path);
  if (!parent.empty())
    (void)llvm::sys::fs::create_directories(parent);
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    setWhy(why,
           ("cannot create '" + path + "': " + std::strerror(errno)).str());
    return std::nullopt;
  }
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    setWhy(why, ("'" + path + "' is not a directory").str());
    return std::nullopt;
  }
  std::string problem = checkOwnership(st, "'" + path.str() + "'");
  if (!problem.empty()) {
    setWhy(why, problem);
    return std::nullopt;
  }
  return CompileCache(std::string(path));
}

std::string CompileCache::getEntryPath(llvm::StringRef key) const {
  llvm::SmallString<256> path(directory);
  llvm::sys::path::append(path, key + ".o");
  return std::string(path);
}

std::unique_ptr<llvm::MemoryBuffer> CompileCache::load(llvm::StringRef key,
                                                       std::string *why) const {
  std::string path = getEntryPath(key);
  // Open without following links, then check what was opened: a file
  // swapped in between a check and the open cannot slip through.
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT)
      setWhy(why, "cannot open '" + path + "': " + std::strerror(errno));
    return nullptr;
  }
  struct stat st;
  std::string problem;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    problem = "'" + path + "' is not a regular file";
  else
    problem = checkOwnership(st, "'" + path + "'");
  std::unique_ptr<llvm::MemoryBuffer> file;
  if (problem.empty()) {
    auto buffer = llvm::MemoryBuffer::getOpenFile(
        fd, path, st.st_size, /*RequiresNullTerminator=*/false);
    if (buffer)
      file = std::move(*buffer);
    else
      problem = "cannot read '" + path + "'";
  }
  ::close(fd);
  if (!problem.empty()) {
    setWhy(why, problem);
    return nullptr;
  }
  llvm::StringRef bytes = file->getBuffer();
  if (!bytes.consume_front(kMagic) || bytes.size() < kHashHexSize + 1 ||
      bytes[kHashHexSize] != '\n') {
    setWhy(why, "'" + path + "' is not a compile cache entry");
    return nullptr;
  }
  llvm::StringRef hash = bytes.take_front(kHashHexSize);
  llvm::StringRef object = bytes.drop_front(kHashHexSize + 1);
  if (hashHex(object) != hash) {
    setWhy(why, "'" + path + "' fails its integrity check");
    return nullptr;
  }
  return llvm::MemoryBuffer::getMemBufferCopy(object, path);
}

llvm::Error CompileCache::store(llvm::StringRef key,
                                llvm::StringRef object) const {
  std::string contents = kMagic.str() + hashHex(object) + "\n";
  contents.append(object.data(), object.size());
  // Private to the user, and never visible half-written.
  return detail::writeFileAtomically(
      getEntryPath(key), llvm::arrayRefFromStringRef(contents), 0600);
}
