//===- FileUtils.cpp - file helpers of the runtime's readers --------------===//

#include "FileUtils.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir::mlopt::runtime;
using llvm::StringRef;
using llvm::Twine;

llvm::Error detail::fileError(StringRef path, const Twine &message) {
  return llvm::createStringError(Twine(path) + ": " + message);
}

llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
detail::readWholeFile(StringRef path) {
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
