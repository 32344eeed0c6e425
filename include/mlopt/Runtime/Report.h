//===- Report.h - the compile-time step report ------------------*- C++ -*-===//
//
// The compile-time step report (docs/Report.md): FLOPs of the forward pass,
// the backward pass and the optimizer update, counted with the ops'
// CostOpInterface at the stage boundaries of the training pipeline; bytes of
// state per dtype and per kind; the largest temporaries of @train_step; and
// sections that techniques add. It is a structure, printed by print() and
// serialized by toJSON(), so later passes extend it with data, not text.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_RUNTIME_REPORT_H
#define MLOPT_RUNTIME_REPORT_H

#include "mlopt/Conversion/BufferPlan.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassInstrumentation.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mlir::mlopt::runtime {

/// FLOPs of a piece of IR: the sum of getFlops() over every op implementing
/// CostOpInterface (nested regions included), and the same sum per op name.
struct FlopCount {
  int64_t flops = 0;
  /// How many ops implementing CostOpInterface were counted.
  int64_t numOps = 0;
  /// Per op name ("mlopt.matmul"); entries may be negative in a difference.
  llvm::StringMap<int64_t> flopsByOp;

  /// `flopsByOp` ordered by decreasing FLOPs (then by name), zeros omitted.
  std::vector<std::pair<std::string, int64_t>> sortedByOp() const;
  FlopCount &operator+=(const FlopCount &other);
  FlopCount &operator-=(const FlopCount &other);
};

/// Counts the FLOPs of `root` and everything nested in it.
FlopCount countFlops(Operation *root);

/// What one training step costs as the compiler sees it. Unmeasured parts
/// stay empty; print() and toJSON() omit them.
struct StepReport {
  /// One stage of the step.
  struct Phase : FlopCount {
    /// Whether the instrumentation saw the stage's boundaries (a pipeline
    /// without mlopt-optimizer has no optimizer phase, say).
    bool measured = false;
  };
  /// The function marked `mlopt.loss` right before mlopt-autodiff (after the
  /// model-level passes).
  Phase forward;
  /// What mlopt-autodiff added to @train_step beyond the forward pass.
  Phase backward;
  /// What mlopt-optimizer added to @train_step.
  Phase optimizer;
  /// What every other pass after autodiff changed in @train_step (post-
  /// autodiff passes, entry points, cleanup), by pass argument in pipeline
  /// order; passes that changed nothing are omitted.
  struct PassDelta {
    std::string pass;
    int64_t flops = 0;
  };
  std::vector<PassDelta> otherPasses;

  /// Bytes of state by element type ("f32", "i64"), in declaration order.
  std::vector<std::pair<std::string, uint64_t>> stateBytesByDType;
  /// Bytes of state by kind ("parameter", "optimizer_state", "step", ...).
  std::vector<std::pair<std::string, uint64_t>> stateBytesByKind;
  /// Elements of trainable parameters (the model's parameter count).
  int64_t trainableElements = 0;

  /// An SSA result of @train_step with a ranked tensor type: a buffer the
  /// step needs besides the state (state_read results are the state itself
  /// and are not counted).
  struct Temporary {
    std::string op;       ///< "mlopt.matmul"
    std::string location; ///< "mlp.mlir:33:5"
    std::string type;     ///< "tensor<256x784xf32>"
    uint64_t bytes = 0;
  };
  /// The largest temporaries, largest first (ties in program order).
  std::vector<Temporary> largestTemporaries;
  /// Bytes of all temporaries of @train_step, assuming no buffer reuse.
  uint64_t temporaryBytes = 0;
  /// The lowered @train_step's planned buffers (the backend's
  /// getBufferBytes(): the CPU backend's arena, buffers sharing bytes by
  /// liveness, and their sum); unset for a backend that plans none. Set by
  /// Session::compile after lowering, kept by addModuleFacts.
  std::optional<BufferBytes> stepBuffers;

  /// What one @train_step communicates on each rank (data parallelism,
  /// docs/Report.md): the payload bytes handed to the collectives -- the
  /// operand tensor bytes of every collective and point-to-point op
  /// (`mlopt.recv` and `mlopt.local_shard` count 0), the definition the
  /// runtime's CommStats::bytes counts by -- and the number of those ops
  /// (a variadic op, one bucket, is one; `local_shard`, which exchanges
  /// nothing, is not counted). Zero when the step has no collectives.
  int64_t communicatedBytes = 0;
  int64_t collectiveCalls = 0;
  /// The group size the step was compiled for (`mlopt.data_parallel_ranks`
  /// on @train_step), 0 when unmarked.
  int64_t dataParallelRanks = 0;

  /// The extension point: a titled list of figures. A technique appends its
  /// own section (sparsity, bytes per dtype after quantization, bytes
  /// communicated per step) with addSection().
  struct Section {
    struct Line {
      std::string key;
      /// What print() shows.
      std::string text;
      /// What toJSON() writes; `text` when unset.
      std::optional<llvm::json::Value> value;
    };
    std::string title;
    std::vector<Line> lines;

    Section &add(llvm::StringRef key, llvm::StringRef text,
                 std::optional<llvm::json::Value> value = std::nullopt);
  };
  std::vector<Section> sections;

  /// Appends an empty section and returns it.
  Section &addSection(llvm::StringRef title);
  /// The section titled `title`, or null.
  const Section *findSection(llvm::StringRef title) const;

  /// FLOPs of one @train_step: forward + backward + optimizer + every other
  /// pass's change, i.e. the count of @train_step at the end of the
  /// mlopt-level pipeline.
  int64_t stepFlops() const;
  /// Total bytes of state.
  uint64_t stateBytes() const;
  /// Bytes of the state of kind `kind` ("optimizer_state"), 0 when none.
  /// The state's types are one rank's: a ZeRO-1 shard counts its chunk.
  uint64_t stateBytesOfKind(llvm::StringRef kind) const;

  /// A human-readable report ending with a newline.
  void print(llvm::raw_ostream &os) const;
  std::string str() const;
  /// The report as one JSON object (see docs/Report.md for the fields).
  llvm::json::Value toJSON() const;
};

/// "812 FLOP", "53.02 MFLOP", "1.23 GFLOP".
std::string formatFlops(int64_t flops);

/// Whether `op` exchanges data between ranks: a collective or point-to-point
/// op other than `mlopt.local_shard`.
bool isCollectiveCall(Operation *op);

/// Fills the state, temporary and communication figures of `report` from a
/// training module at the mlopt level (after mlopt-entry-points and cleanup,
/// before lowering): the `mlopt.state` ops and the function marked
/// `mlopt.train_step`. Replaces earlier values, so calling it again is safe.
void addModuleFacts(StepReport &report, ModuleOp trainingModule,
                    size_t numTemporaries = 5);

/// Measures FLOPs at the stage boundaries of the training pipeline it is
/// attached to (DESIGN section 4), recognising mlopt-autodiff and
/// mlopt-optimizer by their pass arguments:
///   forward   = the `mlopt.loss` function right before mlopt-autodiff,
///   backward  = @train_step after mlopt-autodiff minus forward,
///   optimizer = @train_step after mlopt-optimizer minus before it,
/// and every other module-level pass's change to @train_step. After each
/// module-level pass it refreshes the module facts (addModuleFacts). It stops
/// measuring at the first pass that leaves @train_step without any
/// CostOpInterface op (the lowering out of the mlopt dialect), so it may be
/// attached to a pass manager that also lowers: the report then describes
/// the last mlopt-level module.
///
/// `report` must outlive the pass manager's runs; use a fresh report for each
/// run (a second run would add its other-pass lines to the first's).
class StepReportInstrumentation : public PassInstrumentation {
public:
  explicit StepReportInstrumentation(StepReport &report,
                                     size_t numTemporaries = 5)
      : report(report), numTemporaries(numTemporaries) {}

  /// Adds a StepReportInstrumentation writing into `report` to `pm`.
  static void attach(PassManager &pm, StepReport &report,
                     size_t numTemporaries = 5);

  void runBeforePass(Pass *pass, Operation *op) override;
  void runAfterPass(Pass *pass, Operation *op) override;
  void runAfterPassFailed(Pass *pass, Operation *op) override;

private:
  /// @train_step's count before each running module-level pass.
  llvm::DenseMap<Pass *, std::optional<FlopCount>> before;
  StepReport &report;
  size_t numTemporaries;
  bool stopped = false;
};

} // namespace mlir::mlopt::runtime

#endif // MLOPT_RUNTIME_REPORT_H
