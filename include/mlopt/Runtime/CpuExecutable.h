//===- CpuExecutable.h - JIT-compiled mlopt modules on the CPU --*- C++ -*-===//
//
// Lowers an mlopt module with `mlopt-lower-to-cpu`, JIT-compiles it with
// mlir::ExecutionEngine for the host CPU and runs its entry points. The
// executable owns one buffer per `mlopt.state`, which the compiled entry
// points update in place. Compiled objects are cached on disk, keyed by the
// module's text, the options and the host CPU, so a second run of the same
// model skips lowering and code generation.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_RUNTIME_CPUEXECUTABLE_H
#define MLOPT_RUNTIME_CPUEXECUTABLE_H

#include "mlopt/Conversion/BufferPlan.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mlir::mlopt::runtime {

/// A dense, row-major, 64-byte-aligned host tensor.
class HostBuffer {
public:
  HostBuffer() = default;
  /// A zero-filled buffer of `type` (static shape, int or float elements).
  explicit HostBuffer(RankedTensorType type);

  RankedTensorType getType() const { return type; }
  int64_t getNumElements() const { return type ? type.getNumElements() : 0; }
  int64_t getNumBytes() const { return numBytes; }
  void *data() { return storage.get(); }
  const void *data() const { return storage.get(); }
  template <typename T> T *as() { return static_cast<T *>(data()); }
  template <typename T> const T *as() const {
    return static_cast<const T *>(data());
  }

private:
  struct Free {
    void operator()(void *p) const;
  };
  RankedTensorType type;
  int64_t numBytes = 0;
  std::unique_ptr<void, Free> storage;
};

/// Bytes of one element of `type` (i1 takes a byte, as in the lowered code).
int64_t getElementByteSize(Type type);

struct CpuCompileOptions {
  /// `blas` (f32 matmuls call OpenBLAS), `vector` (tiled, vectorized
  /// generated code) or `loops` (scalar loops).
  std::string matmul = "blas";
  /// LLVM optimization level of the JIT (0-3).
  unsigned optLevel = 3;
  /// Generated loops of parallel iterators as scf.parallel, the large ones
  /// run on the runtime's thread pool (mlopt-parallelize-loops); off:
  /// serial loops only.
  bool parallelLoops = true;
  /// f32 (f16, bf16) exp, log, erf, tanh, ... as inline polynomials
  /// (mlopt-approximate-math); off: libm calls.
  bool approximateMath = true;
  /// Cache directory (absolute); empty means $MLOPT_CACHE_DIR, else
  /// ~/.cache/mlopt. See CompileCache.h for what makes it trusted.
  std::string cacheDir;
  bool useCache = true;
};

/// Adds mlopt-lower-to-cpu with the options' matmul mode to `pm`; an
/// unknown mode is an error.
llvm::Error buildCpuLowering(OpPassManager &pm,
                             const CpuCompileOptions &options);

/// One entry point as the runtime calls it.
struct EntryPoint {
  std::string name;
  /// The function's own arguments and results (state excluded).
  std::vector<RankedTensorType> argumentTypes;
  std::vector<RankedTensorType> resultTypes;
  /// `mlopt.metric` names of the results ("" where none).
  std::vector<std::string> resultNames;
  /// The compiled `_mlir_ciface_` function behind its packed wrapper.
  void (*packed)(void **) = nullptr;
};

class CpuExecutable {
public:
  ~CpuExecutable();

  /// Lowers and compiles (or loads from the cache) every public function of
  /// `module`, an mlopt module whose functions read and write state only
  /// through mlopt.state_read / state_write. `module` is not modified. The
  /// executable refers to types of the module's MLIRContext, which must
  /// outlive it.
  static llvm::Expected<std::unique_ptr<CpuExecutable>>
  compile(ModuleOp module, const CpuCompileOptions &options = {});

  /// Whether the object code came from the on-disk cache (no lowering, no
  /// code generation happened).
  bool isLoadedFromCache() const { return loadedFromCache; }
  /// The cache key (hex SHA-256) and the object file it names.
  llvm::StringRef getCacheKey() const { return cacheKey; }
  /// Why the compile cache was not used or an entry was refused ("" when
  /// nothing went wrong); see CompileCache.h.
  llvm::StringRef getCacheProblem() const { return cacheProblem; }

  /// State buffers in declaration order, and their names.
  llvm::ArrayRef<std::string> getStateNames() const { return stateNames; }
  std::vector<HostBuffer> &getStates() { return states; }
  /// The state named `name`, or nullptr.
  HostBuffer *getState(llvm::StringRef name);

  /// The entry point `name`, or nullptr.
  const EntryPoint *getEntryPoint(llvm::StringRef name) const;

  /// The planned buffers of function `name` (mlopt-allocs-to-globals), as
  /// the lowering recorded them (kept beside a cached object); unset when
  /// unknown.
  std::optional<BufferBytes> getBufferBytes(llvm::StringRef name) const;

  /// Calls entry point `name` with `arguments` (types must match), reading
  /// and updating the state buffers; returns the results.
  llvm::Expected<std::vector<HostBuffer>>
  call(llvm::StringRef name, llvm::ArrayRef<const HostBuffer *> arguments);

  /// As call(), on caller-owned dense row-major memory of the argument
  /// types, read in place without a copy.
  llvm::Expected<std::vector<HostBuffer>>
  callWithData(llvm::StringRef name, llvm::ArrayRef<const void *> arguments);

  /// `@init(seed)`: fills every state tensor.
  llvm::Error init(uint64_t seed);
  /// `@train_step` / `@eval_step` on one batch (arguments in the loss
  /// function's order); returns the loss then the metrics.
  llvm::Expected<std::vector<double>>
  trainStep(llvm::ArrayRef<const HostBuffer *> arguments);
  llvm::Expected<std::vector<double>>
  evalStep(llvm::ArrayRef<const HostBuffer *> arguments);

  /// The 0-d results of an entry point as doubles (0 for empty tensors).
  static std::vector<double> toScalars(llvm::ArrayRef<HostBuffer> results);

  /// How many modules this process lowered and code-generated from scratch
  /// (cache misses); a test checks that a second compile does not add one.
  static unsigned getNumCompilations();

private:
  CpuExecutable() = default;
  /// The entry point `name`, checked to take `numArguments` arguments.
  llvm::Expected<const EntryPoint *>
  lookupEntryPoint(llvm::StringRef name, size_t numArguments) const;
  struct Impl;
  std::unique_ptr<Impl> impl;
  bool loadedFromCache = false;
  std::string cacheKey;
  std::string cacheProblem;
  std::vector<std::string> stateNames;
  std::vector<HostBuffer> states;
  llvm::StringMap<EntryPoint> entryPoints;
  llvm::StringMap<BufferBytes> bufferBytes;
};

} // namespace mlir::mlopt::runtime

#endif // MLOPT_RUNTIME_CPUEXECUTABLE_H
