//===- FileUtils.cpp - file helpers of the runtime's readers --------------===//

#include "FileUtils.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

using namespace mlir::mlopt::runtime;
using llvm::StringRef;
using llvm::Twine;

llvm::Error detail::fileError(StringRef path, const Twine &message) {
  return llvm::createStringError(Twine(path) + ": " + message);
}

llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
detail::readWholeFile(StringRef path) {
  // Only regular files: /dev/zero or a FIFO would be read forever.
  llvm::sys::fs::file_status status;
  if (std::error_code ec = llvm::sys::fs::status(path, status))
    return fileError(path, "cannot read: " + ec.message());
  if (status.type() != llvm::sys::fs::file_type::regular_file)
    return fileError(path, "not a regular file");
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!buffer)
    return fileError(path, "cannot read: " + buffer.getError().message());
  return std::move(*buffer);
}

std::string detail::formatShape(llvm::ArrayRef<int64_t> shape) {
  std::string result = "[";
  llvm::raw_string_ostream os(result);
  llvm::interleave(shape, os, ", ");
  os << "]";
  return result;
}

std::optional<int64_t> detail::checkedProduct(llvm::ArrayRef<int64_t> dims) {
  int64_t product = 1;
  for (int64_t dim : dims)
    if (dim < 0 || __builtin_mul_overflow(product, dim, &product))
      return std::nullopt;
  return product;
}

static llvm::Error writeAllTo(StringRef path, int fd,
                              llvm::ArrayRef<uint8_t> bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return detail::fileError(path, Twine("write failed: ") +
                                         std::strerror(n < 0 ? errno : EIO));
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0)
    return detail::fileError(path,
                             Twine("fsync failed: ") + std::strerror(errno));
  return llvm::Error::success();
}

/// The prefix of the fallback's temporaries of `path`: hidden, and not
/// ending in the target's extension, so no loader picks them up.
static std::string temporaryPrefix(StringRef path) {
  llvm::SmallString<256> prefix(llvm::sys::path::parent_path(path));
  llvm::sys::path::append(prefix,
                          "." + llvm::sys::path::filename(path) + ".tmp-");
  return std::string(prefix);
}

/// Removes temporaries of `path` that an earlier, killed save left.
static void removeStaleTemporaries(StringRef path) {
  std::string prefix = temporaryPrefix(path);
  StringRef directory = llvm::sys::path::parent_path(path);
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator
           it(directory.empty() ? "." : directory, ec),
       end;
       it != end && !ec; it.increment(ec))
    if (StringRef(it->path()).starts_with(prefix))
      llvm::sys::fs::remove(it->path());
}

static void syncDirectory(StringRef path) {
  StringRef directory = llvm::sys::path::parent_path(path);
  int dirFd = ::open(directory.empty() ? "." : directory.str().c_str(),
                     O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirFd >= 0) {
    (void)::fsync(dirFd);
    ::close(dirFd);
  }
}

llvm::Error detail::writeFileAtomically(StringRef path,
                                        llvm::ArrayRef<uint8_t> bytes,
                                        unsigned mode) {
  StringRef directory = llvm::sys::path::parent_path(path);
  std::string dir = directory.empty() ? "." : directory.str();
  removeStaleTemporaries(path);
#ifdef O_TMPFILE
  // An unnamed file in the target's directory: nothing is visible until it
  // is complete and on disk, then it gets a name.
  int fd = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
  if (fd >= 0) {
    llvm::Error error = writeAllTo(path, fd, bytes);
    if (!error) {
      // linkat cannot replace an existing file: link the complete file under
      // a temporary name, then rename it over the target.
      std::string procPath = "/proc/self/fd/" + std::to_string(fd);
      for (int attempt = 0; attempt < 16; ++attempt) {
        llvm::SmallString<256> linkPath;
        llvm::sys::fs::createUniquePath(temporaryPrefix(path) + "%%%%%%%%",
                                        linkPath, /*MakeAbsolute=*/false);
        if (::linkat(AT_FDCWD, procPath.c_str(), AT_FDCWD, linkPath.c_str(),
                     AT_SYMLINK_FOLLOW) == 0) {
          ::close(fd);
          if (std::error_code ec = llvm::sys::fs::rename(linkPath, path)) {
            llvm::sys::fs::remove(linkPath);
            return fileError(path, "cannot rename into place: " + ec.message());
          }
          syncDirectory(path);
          return llvm::Error::success();
        }
        if (errno != EEXIST)
          break;
      }
      error = fileError(path, Twine("cannot link the written file: ") +
                                  std::strerror(errno));
    }
    ::close(fd);
    return error;
  }
  if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
    return fileError(path, Twine("cannot create a temporary file: ") +
                               std::strerror(errno));
#endif
  // Fallback: a named temporary, removed on failure here and, after a
  // crash, by the next save of the same file.
  int tempFd = -1;
  llvm::SmallString<256> tempPath;
  if (std::error_code ec = llvm::sys::fs::createUniqueFile(
          temporaryPrefix(path) + "%%%%%%%%", tempFd, tempPath,
          llvm::sys::fs::OF_None, mode))
    return fileError(path, "cannot create a temporary file: " + ec.message());
  llvm::Error error = writeAllTo(tempPath, tempFd, bytes);
  if (::close(tempFd) != 0 && !error)
    error = fileError(tempPath, Twine("close failed: ") + std::strerror(errno));
  if (!error)
    if (std::error_code ec = llvm::sys::fs::rename(tempPath, path))
      error = fileError(path, "cannot rename " + tempPath +
                                  " into place: " + ec.message());
  if (error) {
    llvm::sys::fs::remove(tempPath);
    return error;
  }
  syncDirectory(path);
  return llvm::Error::success();
}
