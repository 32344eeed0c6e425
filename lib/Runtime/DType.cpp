//===- DType.cpp - the element types of state tensors and data -----------===//

#include "mlopt/Runtime/DType.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/ErrorHandling.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace mlir::mlopt::runtime;
using llvm::StringRef;

/// The table, in enum order. The safetensors order numbers are the
/// discriminants of the reference implementation's `Dtype` enum (BOOL = 0,
/// U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64).
static constexpr DTypeInfo kDTypes[] = {
    {DType::F64, "F64", "f64", "f8", 8, DTypeClass::Float, 12},
    {DType::F32, "F32", "f32", "f4", 4, DTypeClass::Float, 11},
    {DType::F16, "F16", "f16", "f2", 2, DTypeClass::Float, 7},
    {DType::BF16, "BF16", "bf16", "", 2, DTypeClass::Float, 8},
    {DType::I64, "I64", "i64", "i8", 8, DTypeClass::SignedInt, 13},
    {DType::I32, "I32", "i32", "i4", 4, DTypeClass::SignedInt, 9},
    {DType::I16, "I16", "i16", "i2", 2, DTypeClass::SignedInt, 5},
    {DType::I8, "I8", "i8", "i1", 1, DTypeClass::SignedInt, 2},
    {DType::U8, "U8", "ui8", "u1", 1, DTypeClass::UnsignedInt, 1},
    {DType::Bool, "BOOL", "i1", "b1", 1, DTypeClass::Bool, 0},
};

// The table is indexed by the enum.
static_assert([] {
  for (size_t i = 0; i < std::size(kDTypes); ++i)
    if (static_cast<size_t>(kDTypes[i].dtype) != i)
      return false;
  return true;
}());

llvm::ArrayRef<DTypeInfo> mlir::mlopt::runtime::allDTypes() { return kDTypes; }

const DTypeInfo &mlir::mlopt::runtime::dtypeInfo(DType dtype) {
  return kDTypes[static_cast<size_t>(dtype)];
}

StringRef mlir::mlopt::runtime::dtypeName(DType dtype) {
  return dtypeInfo(dtype).safetensorsName;
}

int64_t mlir::mlopt::runtime::dtypeSize(DType dtype) {
  return dtypeInfo(dtype).size;
}

StringRef mlir::mlopt::runtime::dtypeMLIRName(DType dtype) {
  return dtypeInfo(dtype).mlirName;
}

/// The dtype whose `field` equals `name`.
template <typename Field>
static std::optional<DType> findDType(StringRef name, Field field) {
  for (const DTypeInfo &info : kDTypes)
    if (!(info.*field).empty() && StringRef(info.*field) == name)
      return info.dtype;
  return std::nullopt;
}

std::optional<DType> mlir::mlopt::runtime::parseDType(StringRef name) {
  return findDType(name, &DTypeInfo::safetensorsName);
}

std::optional<DType> mlir::mlopt::runtime::dtypeFromMLIRName(StringRef name) {
  return findDType(name, &DTypeInfo::mlirName);
}

std::optional<std::string> mlir::mlopt::runtime::npyDescr(DType dtype) {
  const DTypeInfo &info = dtypeInfo(dtype);
  if (info.npyCode.empty())
    return std::nullopt;
  return (info.size == 1 ? "|" : "<") + info.npyCode.str();
}

/// The dtype of a descr with its byte-order character `order`.
static std::optional<DType> parseNpyDescrInOrder(StringRef descr,
                                                 StringRef orders) {
  if (descr.size() < 2 || !orders.contains(descr.front()))
    return std::nullopt;
  std::optional<DType> dtype =
      findDType(descr.drop_front(), &DTypeInfo::npyCode);
  if (!dtype)
    return std::nullopt;
  // Byte order is irrelevant for one-byte types.
  if (dtypeSize(*dtype) == 1 || descr.front() == '<')
    return dtype;
  return std::nullopt;
}

std::optional<DType> mlir::mlopt::runtime::parseNpyDescr(StringRef descr) {
  return parseNpyDescrInOrder(descr, "|<>=");
}

bool mlir::mlopt::runtime::isBigEndianNpyDescr(StringRef descr) {
  return descr.starts_with(">") &&
         parseNpyDescr("<" + descr.drop_front().str()).has_value();
}

bool mlir::mlopt::runtime::isFloat(DType dtype) {
  return dtypeInfo(dtype).kind == DTypeClass::Float;
}

bool mlir::mlopt::runtime::isIntegerLike(DType dtype) {
  return !isFloat(dtype);
}

std::string mlir::mlopt::runtime::supportedSafetensorsNames() {
  std::string names;
  for (const DTypeInfo &info : kDTypes)
    names += (names.empty() ? "" : " ") + info.safetensorsName.str();
  return names;
}

std::string mlir::mlopt::runtime::supportedNpyDescrs() {
  std::string names;
  for (const DTypeInfo &info : kDTypes)
    if (std::optional<std::string> descr = npyDescr(info.dtype))
      names += (names.empty() ? "" : " ") + *descr;
  return names;
}

//===----------------------------------------------------------------------===//
// Element access
//===----------------------------------------------------------------------===//

static const llvm::fltSemantics &halfSemantics(DType dtype) {
  return dtype == DType::BF16 ? llvm::APFloat::BFloat()
                              : llvm::APFloat::IEEEhalf();
}

double mlir::mlopt::runtime::loadElementAsDouble(DType dtype,
                                                 const uint8_t *data,
                                                 int64_t i) {
  using namespace llvm::support;
  switch (dtype) {
  case DType::F64: {
    uint64_t bits = endian::read64le(data + 8 * i);
    double value;
    std::memcpy(&value, &bits, 8);
    return value;
  }
  case DType::F32: {
    uint32_t bits = endian::read32le(data + 4 * i);
    float value;
    std::memcpy(&value, &bits, 4);
    return value;
  }
  case DType::F16:
  case DType::BF16: {
    llvm::APFloat value(halfSemantics(dtype),
                        llvm::APInt(16, endian::read16le(data + 2 * i)));
    return value.convertToDouble();
  }
  default:
    return static_cast<double>(loadElementAsInt64(dtype, data, i));
  }
}

int64_t mlir::mlopt::runtime::loadElementAsInt64(DType dtype,
                                                 const uint8_t *data,
                                                 int64_t i) {
  using namespace llvm::support;
  switch (dtype) {
  case DType::I64:
    return static_cast<int64_t>(endian::read64le(data + 8 * i));
  case DType::I32:
    return static_cast<int32_t>(endian::read32le(data + 4 * i));
  case DType::I16:
    return static_cast<int16_t>(endian::read16le(data + 2 * i));
  case DType::I8:
    return static_cast<int8_t>(data[i]);
  case DType::U8:
    return data[i];
  case DType::Bool:
    return data[i] != 0;
  case DType::F64:
  case DType::F32:
  case DType::F16:
  case DType::BF16: {
    double value = loadElementAsDouble(dtype, data, i);
    if (std::isnan(value))
      return 0;
    constexpr double kLimit = 0x1p63;
    if (value >= kLimit)
      return std::numeric_limits<int64_t>::max();
    if (value < -kLimit)
      return std::numeric_limits<int64_t>::min();
    return static_cast<int64_t>(value);
  }
  }
  llvm_unreachable("unknown DType");
}

void mlir::mlopt::runtime::storeElement(DType dtype, uint8_t *data, int64_t i,
                                        double value) {
  using namespace llvm::support;
  switch (dtype) {
  case DType::F64: {
    uint64_t bits;
    std::memcpy(&bits, &value, 8);
    endian::write64le(data + 8 * i, bits);
    return;
  }
  case DType::F32: {
    float narrow = static_cast<float>(value);
    uint32_t bits;
    std::memcpy(&bits, &narrow, 4);
    endian::write32le(data + 4 * i, bits);
    return;
  }
  case DType::F16:
  case DType::BF16: {
    bool losesInfo = false;
    llvm::APFloat converted(value);
    converted.convert(halfSemantics(dtype), llvm::APFloat::rmNearestTiesToEven,
                      &losesInfo);
    endian::write16le(
        data + 2 * i,
        static_cast<uint16_t>(converted.bitcastToAPInt().getZExtValue()));
    return;
  }
  default: {
    int64_t integer = 0;
    if (!std::isnan(value))
      integer = value >= 0x1p63   ? std::numeric_limits<int64_t>::max()
                : value < -0x1p63 ? std::numeric_limits<int64_t>::min()
                                  : static_cast<int64_t>(value);
    storeElementInt64(dtype, data, i, integer);
    return;
  }
  }
}

void mlir::mlopt::runtime::storeElementInt64(DType dtype, uint8_t *data,
                                             int64_t i, int64_t value) {
  using namespace llvm::support;
  switch (dtype) {
  case DType::I64:
    endian::write64le(data + 8 * i, static_cast<uint64_t>(value));
    return;
  case DType::I32:
    endian::write32le(data + 4 * i, static_cast<uint32_t>(value));
    return;
  case DType::I16:
    endian::write16le(data + 2 * i, static_cast<uint16_t>(value));
    return;
  case DType::I8:
  case DType::U8:
    data[i] = static_cast<uint8_t>(value);
    return;
  case DType::Bool:
    data[i] = value != 0;
    return;
  case DType::F64:
  case DType::F32:
  case DType::F16:
  case DType::BF16:
    storeElement(dtype, data, i, static_cast<double>(value));
    return;
  }
  llvm_unreachable("unknown DType");
}
