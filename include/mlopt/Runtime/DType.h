//===- DType.h - the element types of state tensors and data ----*- C++ -*-===//
//
// One table describes every element type the runtime moves: its safetensors
// name, its NumPy type code, its MLIR element type spelling, its byte size and
// whether it holds floats, integers or booleans. Checkpoints, .npy files, the
// state manifest and the backends all go through it, so a dtype is described
// once. Plain C++ on LLVMSupport: no MLIR IR here.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_RUNTIME_DTYPE_H
#define MLOPT_RUNTIME_DTYPE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <string>

namespace mlir::mlopt::runtime {

/// Element types of state tensors and data arrays, named as in safetensors.
enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, Bool };

/// What the elements of a dtype hold.
enum class DTypeClass { Float, SignedInt, UnsignedInt, Bool };

/// Everything the runtime knows about one dtype.
struct DTypeInfo {
  DType dtype;
  /// The safetensors name ("F32", "BOOL").
  llvm::StringLiteral safetensorsName;
  /// The MLIR element type as the IR spells it ("f32", "bf16", "i1").
  llvm::StringLiteral mlirName;
  /// The NumPy type code without the byte-order character ("f4", "b1"), or
  /// empty when NumPy has no such type (bf16).
  llvm::StringLiteral npyCode;
  /// Bytes per element.
  int64_t size;
  DTypeClass kind;
  /// Position in the safetensors reference implementation's `Dtype` enum,
  /// which orders tensors by alignment inside a file.
  int safetensorsOrder;
};

/// Every dtype, in enum order.
llvm::ArrayRef<DTypeInfo> allDTypes();
/// The table entry of `dtype`.
const DTypeInfo &dtypeInfo(DType dtype);

/// The safetensors name of `dtype` ("F32", "BOOL", ...).
llvm::StringRef dtypeName(DType dtype);
/// Parses a safetensors dtype name; std::nullopt for unknown names.
std::optional<DType> parseDType(llvm::StringRef name);
/// Bytes per element.
int64_t dtypeSize(DType dtype);

/// The MLIR element type spelling of `dtype` ("f32", "i64", "i1", "ui8").
llvm::StringRef dtypeMLIRName(DType dtype);
/// The dtype of an MLIR element type spelled `name`; std::nullopt for types
/// without one.
std::optional<DType> dtypeFromMLIRName(llvm::StringRef name);

/// The NumPy descr of `dtype` in little-endian (or, for one-byte types,
/// byte-order free) form ("<f4", "|u1"); std::nullopt for bf16.
std::optional<std::string> npyDescr(DType dtype);
/// Parses a NumPy descr: one-byte types in any byte order ('|', '<', '>',
/// '='), wider types little-endian ('<'). std::nullopt for anything else
/// (callers tell big-endian descrs apart with isBigEndianNpyDescr).
std::optional<DType> parseNpyDescr(llvm::StringRef descr);
/// Whether `descr` names a supported type in big-endian byte order.
bool isBigEndianNpyDescr(llvm::StringRef descr);

bool isFloat(DType dtype);
/// Signed, unsigned or boolean: elements that load as int64.
bool isIntegerLike(DType dtype);

/// The supported names, space separated, in enum order: "F64 F32 ..." for
/// safetensors, "<f8 <f4 ..." for NumPy.
std::string supportedSafetensorsNames();
std::string supportedNpyDescrs();

/// Element `i` of little-endian `data` of `dtype`, as a double (exact for
/// every dtype except 64-bit integers beyond 2^53).
double loadElementAsDouble(DType dtype, const uint8_t *data, int64_t i);
/// Element `i` of an integer-like `dtype` as an int64 (booleans are 0/1);
/// floats are truncated toward zero.
int64_t loadElementAsInt64(DType dtype, const uint8_t *data, int64_t i);
/// Stores `value` as element `i`: floats rounded to nearest even, integers
/// converted by value (wrapping), booleans as value != 0.
void storeElement(DType dtype, uint8_t *data, int64_t i, double value);
/// Stores the integer `value` as element `i` (wrapping to the width;
/// booleans as value != 0; floats converted by value).
void storeElementInt64(DType dtype, uint8_t *data, int64_t i, int64_t value);

} // namespace mlir::mlopt::runtime

#endif // MLOPT_RUNTIME_DTYPE_H
