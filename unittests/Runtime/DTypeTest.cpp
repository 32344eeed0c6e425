//===- DTypeTest.cpp - tests of the one dtype table -----------------------===//

#include "mlopt/Runtime/DType.h"
#include "mlopt/Runtime/Backend.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/STLExtras.h"

#include "gtest/gtest.h"

#include <cmath>
#include <string>
#include <vector>

using namespace mlir::mlopt::runtime;

namespace {

TEST(DTypeTest, TableIsIndexedByTheEnum) {
  ASSERT_EQ(allDTypes().size(), 10u);
  for (auto [i, info] : llvm::enumerate(allDTypes())) {
    EXPECT_EQ(static_cast<size_t>(info.dtype), i);
    EXPECT_EQ(&dtypeInfo(info.dtype), &info);
  }
}

TEST(DTypeTest, EveryDTypeRoundTripsThroughEveryName) {
  for (const DTypeInfo &info : allDTypes()) {
    SCOPED_TRACE(info.safetensorsName.str());
    EXPECT_EQ(parseDType(dtypeName(info.dtype)), info.dtype);
    EXPECT_EQ(dtypeFromMLIRName(dtypeMLIRName(info.dtype)), info.dtype);
    std::optional<std::string> descr = npyDescr(info.dtype);
    if (info.dtype == DType::BF16) {
      EXPECT_EQ(descr, std::nullopt);
      continue;
    }
    ASSERT_TRUE(descr.has_value());
    EXPECT_EQ(parseNpyDescr(*descr), info.dtype);
    EXPECT_FALSE(isBigEndianNpyDescr(*descr));
  }
  // The three name spaces are kept apart: "i1" is bool in MLIR, int8 in
  // NumPy, and nothing in safetensors.
  EXPECT_EQ(dtypeFromMLIRName("i1"), DType::Bool);
  EXPECT_EQ(parseNpyDescr("|i1"), DType::I8);
  EXPECT_EQ(parseDType("i1"), std::nullopt);
  EXPECT_EQ(parseDType("f32"), std::nullopt);
  EXPECT_EQ(dtypeFromMLIRName("F32"), std::nullopt);
  EXPECT_EQ(dtypeFromMLIRName(""), std::nullopt);
  EXPECT_EQ(parseNpyDescr(""), std::nullopt);
}

TEST(DTypeTest, MLIRNamesAreTheTypesTheIRPrints) {
  mlir::MLIRContext context;
  for (const DTypeInfo &info : allDTypes()) {
    SCOPED_TRACE(info.mlirName.str());
    mlir::Type type = mlir::parseType(info.mlirName, &context);
    ASSERT_TRUE(type);
    std::string printed;
    llvm::raw_string_ostream os(printed);
    type.print(os);
    EXPECT_EQ(printed, info.mlirName.str());
    EXPECT_EQ(dtypeOf(type), info.dtype);
    EXPECT_EQ(mlir::isa<mlir::FloatType>(type), isFloat(info.dtype));
    unsigned bits = type.getIntOrFloatBitWidth();
    EXPECT_EQ(info.size, info.dtype == DType::Bool ? 1 : int64_t(bits / 8));
    EXPECT_EQ(info.kind == DTypeClass::UnsignedInt, type.isUnsignedInteger());
  }
  // Types without a dtype.
  for (const char *name : {"f8E4M3FN", "i4", "si32", "index", "tf32"})
    EXPECT_EQ(dtypeOf(mlir::parseType(name, &context)), std::nullopt) << name;
}

TEST(DTypeTest, NumPyByteOrders) {
  // One-byte types take any byte-order character; wider ones only '<'.
  for (const char *descr : {"|u1", "<u1", ">u1", "=u1", "|b1", "|i1"})
    EXPECT_TRUE(parseNpyDescr(descr).has_value()) << descr;
  for (const char *descr : {">f4", ">i8", ">f2"}) {
    EXPECT_EQ(parseNpyDescr(descr), std::nullopt) << descr;
    EXPECT_TRUE(isBigEndianNpyDescr(descr)) << descr;
  }
  for (const char *descr : {"=f4", "|f4", "f4", "<c8", ">c8", "<f4 "}) {
    EXPECT_EQ(parseNpyDescr(descr), std::nullopt) << descr;
    EXPECT_FALSE(isBigEndianNpyDescr(descr)) << descr;
  }
}

TEST(DTypeTest, SupportedListsComeFromTheTable) {
  EXPECT_EQ(supportedSafetensorsNames(),
            "F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL");
  EXPECT_EQ(supportedNpyDescrs(), "<f8 <f4 <f2 <i8 <i4 <i2 |i1 |u1 |b1");
}

TEST(DTypeTest, SafetensorsOrderIsByAlignment) {
  std::vector<DTypeInfo> sorted(allDTypes().begin(), allDTypes().end());
  llvm::sort(sorted, [](const DTypeInfo &a, const DTypeInfo &b) {
    return a.safetensorsOrder > b.safetensorsOrder;
  });
  std::string order;
  for (const DTypeInfo &info : sorted)
    order += info.safetensorsName.str() + " ";
  EXPECT_EQ(order, "I64 F64 F32 I32 BF16 F16 I16 I8 U8 BOOL ");
}

TEST(DTypeTest, ElementsRoundTripThroughBytes) {
  const double values[] = {0.0, 1.0, -2.0, 100.0, 0.5};
  for (const DTypeInfo &info : allDTypes()) {
    SCOPED_TRACE(info.safetensorsName.str());
    std::vector<uint8_t> bytes(info.size * std::size(values));
    for (auto [i, value] : llvm::enumerate(values)) {
      // Fractions only where the type holds them; unsigned and bool get
      // non-negative values.
      double v = isFloat(info.dtype) ? value : std::trunc(value);
      if (info.kind == DTypeClass::UnsignedInt)
        v = std::fabs(v);
      if (info.kind == DTypeClass::Bool)
        v = v != 0;
      storeElement(info.dtype, bytes.data(), i, v);
      EXPECT_EQ(loadElementAsDouble(info.dtype, bytes.data(), i), v);
      EXPECT_EQ(loadElementAsInt64(info.dtype, bytes.data(), i),
                static_cast<int64_t>(v));
      storeElementInt64(info.dtype, bytes.data(), i, static_cast<int64_t>(v));
      EXPECT_EQ(loadElementAsInt64(info.dtype, bytes.data(), i),
                static_cast<int64_t>(v));
    }
  }
}

TEST(DTypeTest, ElementConversionsAtTheEdges) {
  uint8_t bytes[8] = {};
  // Integers wrap to their width; bool is nonzero.
  storeElementInt64(DType::I8, bytes, 0, 200);
  EXPECT_EQ(loadElementAsInt64(DType::I8, bytes, 0), -56);
  EXPECT_EQ(loadElementAsInt64(DType::U8, bytes, 0), 200);
  storeElementInt64(DType::I16, bytes, 0, -300);
  EXPECT_EQ(loadElementAsInt64(DType::I16, bytes, 0), -300);
  storeElementInt64(DType::Bool, bytes, 0, 7);
  EXPECT_EQ(bytes[0], 1);
  // Little-endian in memory, whatever the host.
  storeElementInt64(DType::I32, bytes, 0, 0x01020304);
  EXPECT_EQ(bytes[0], 4);
  EXPECT_EQ(bytes[3], 1);
  // Half precision rounds to nearest even: 1 + 2^-11 is a tie -> 1.
  storeElement(DType::F16, bytes, 0, 1.0 + std::ldexp(1.0, -11));
  EXPECT_EQ(loadElementAsDouble(DType::F16, bytes, 0), 1.0);
  storeElement(DType::BF16, bytes, 0, 3.0);
  EXPECT_EQ(bytes[0], 0x40);
  EXPECT_EQ(bytes[1], 0x40);
  // Float -> integer truncates toward zero, NaN is 0, out of range
  // saturates.
  storeElement(DType::F64, bytes, 0, -2.75);
  EXPECT_EQ(loadElementAsInt64(DType::F64, bytes, 0), -2);
  storeElement(DType::F64, bytes, 0, std::nan(""));
  EXPECT_EQ(loadElementAsInt64(DType::F64, bytes, 0), 0);
  storeElement(DType::F64, bytes, 0, 1e300);
  EXPECT_EQ(loadElementAsInt64(DType::F64, bytes, 0), INT64_MAX);
  storeElement(DType::I64, bytes, 0, -1e300);
  EXPECT_EQ(loadElementAsInt64(DType::I64, bytes, 0), INT64_MIN);
}

} // namespace
