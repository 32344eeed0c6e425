//===- Passes.td - mlopt lowering passes -------------------*- tablegen -*-===//

#ifndef MLOPT_CONVERSION_PASSES_TD
#define MLOPT_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertMLOptToLinalg : Pass<"convert-mlopt-to-linalg", "::mlir::ModuleOp"> {
  let summary = "lowers mlopt compute ops to linalg, tensor, arith and math";
  let description = [{
    Rewrites every mlopt compute op into linalg ops on tensors (one
    `linalg.generic` per elementwise op, broadcasting through its indexing
    maps; named ops for matrix products, transposes and fills), `tensor`
    reshapes and slices, and `arith` / `math` in the bodies. The state ops
    (`mlopt.state`, `mlopt.state_read`, `mlopt.state_write`) stay: see
    `mlopt-externalize-state`.

    Compiled code cannot report errors, so out-of-range labels and indices
    get defined behaviour: `embedding`, `cross_entropy`, `nll_loss` clamp
    the index into range, `one_hot` yields a zero row, `embedding_grad`
    ignores the position. The runtime validates labels before a step.

    `prune_mask` becomes `scf.if %update` whose then branch calls the
    runtime's selection kernel (`mlopt_prune_mask_f32` / `_f64`, declared
    private) on the buffer of the scores (`bufferization.to_buffer`) and a
    new one for the mask (`memref.alloc`, back through
    `bufferization.to_tensor restrict writable`), and whose else branch
    yields `previous`; one-shot bufferization accepts both bridges.

    Before:
    ```mlir
    %y = mlopt.add %x, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    ```
    After:
    ```mlir
    %e = tensor.empty() : tensor<4x8xf32>
    %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>,
        affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], ...}
        ins(%x, %b : tensor<4x8xf32>, tensor<8xf32>) outs(%e : tensor<4x8xf32>)
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect"];
}

def MLOptForwardStateReads : Pass<"mlopt-forward-state-reads"> {
  let summary = "replaces repeated state reads by the value already read";
  let description = [{
    In each block, replaces an `mlopt.state_read` by the state's value as the
    block last read or wrote it (`mlopt.state_write`), until an op that may
    write memory otherwise. The training-step passes read a parameter again
    where they use it, with writes of other states in between; CSE, to
    merge two reads, scans the ops between them for a write, which is
    quadratic in the number of parameters. `mlopt-externalize-state`
    forwards every read in the same way.

    ```mlir
    %a = mlopt.state_read @w : tensor<4xf32>
    mlopt.state_write %n, @v : tensor<4xf32>
    %b = mlopt.state_read @w : tensor<4xf32>   // uses of %b become %a
    ```
  }];
}

def MLOptFuseElementwise : Pass<"mlopt-fuse-elementwise"> {
  let summary = "fuses chains of elementwise linalg.generic ops";
  let description = [{
    Producer-consumer fusion of elementwise `linalg.generic` ops on tensors
    (a producer all of whose uses are in the fused op is inlined into it), as
    upstream's `linalg-fuse-elementwise-ops` but without its reshape
    propagation, which turns named matmuls into generic contractions that
    then run as scalar loops instead of BLAS or vectorized code. A fused op
    reads at most 64 inputs (unless one op already reads more): long chains
    become several fused ops.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def MLOptExternalizeState : Pass<"mlopt-externalize-state", "::mlir::ModuleOp"> {
  let summary = "turns state accesses and results into function arguments";
  let description = [{
    Gives every public function with a body the calling convention the
    runtime uses: one tensor argument per `mlopt.state` in declaration order
    (argument attribute `mlopt_abi.state = "name"`), then the function's own
    arguments (marked `bufferization.writable = false`: the runtime's input
    buffers are read-only; `mlopt.input` / `mlopt.label` and the function's
    `mlopt.loss` marker are dropped), then one argument per result
    (`mlopt_abi.result = index`); the function returns nothing. `mlopt.state_read` becomes the
    state's current value, and the final value of every written state and
    every result is stored with `bufferization.materialize_in_destination`
    into its argument, and the destination-passing chain computing it
    (each op's tied init back to a `tensor.empty`) writes into that argument
    instead, so that one-shot bufferization updates the runtime's buffers in
    place (the empty-tensor elimination this IR needs, without
    `eliminate-empty-tensors`' whole one-shot analysis). The `mlopt.state`
    symbols are erased; the module keeps (or gains) the `mlopt.manifest`
    attribute.

    For one-shot bufferization's analysis, which visits every use of a
    tensor's aliases for each of them, the pass also gives every
    `tensor.empty` one use (CSE merges them) and lets no tensor be read by
    more than 16 linalg ops: later readers read a copy (a chain of copies,
    one per 16 readers), which only generated IR needs.

    With `c-interface` (the default) each rewritten function is marked
    `llvm.emit_c_interface`, gets internal linkage and is always inlined
    into its C wrapper, the one symbol the runtime calls: otherwise LLVM
    compiles a call with a handful of arguments per state, and its
    instruction selection is quadratic in them.

    Run it right before bufferization: the destination-passing form has no
    uses and would be erased by canonicalization.

    Before:
    ```mlir
    mlopt.state @w : tensor<4xf32> parameter trainable init #mlopt.zeros
    func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
      %w = mlopt.state_read @w : tensor<4xf32>
      ...
      mlopt.state_write %nw, @w : tensor<4xf32>
      return %y : tensor<4xf32>
    }
    ```
    After:
    ```mlir
    func.func @f(%w: tensor<4xf32> {mlopt_abi.state = "w"},
                 %x: tensor<4xf32> {bufferization.writable = false},
                 %out: tensor<4xf32> {mlopt_abi.result = 0 : i64}) {
      ...
      %0 = bufferization.materialize_in_destination %nw in %w : ...
      %1 = bufferization.materialize_in_destination %y in %out : ...
      return
    }
    ```
  }];
  let options = [
    Option<"cInterface", "c-interface", "bool", /*default=*/"true",
           "mark the rewritten functions llvm.emit_c_interface">,
  ];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect",
    "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect"];
}

def MLOptAllocsToGlobals : Pass<"mlopt-allocs-to-globals", "::mlir::ModuleOp"> {
  let summary = "plans the entry points' static buffers in one byte arena";
  let description = [{
    Replaces every statically shaped `memref.alloc` directly in the body of
    a function (gradients, activations, optimizer temporaries) by a
    `memref.view` at a constant offset into a private, uninitialized byte
    arena (`memref.global` of i8), one per function, so a training step
    allocates nothing per call: its buffers are planned once, when the
    module loads. Valid because entry points are not re-entrant and every
    such buffer is written before it is read within one call.
    Buffers of any types whose live ranges in the block do not overlap (the
    ops using them or values derived from them: views, extracted pointers)
    may share bytes, as may a buffer that an all-parallel linalg op writes
    while it last reads another of its type elementwise through the same
    map, as one-shot bufferization would do in place. Offsets are packed
    greedily by size (largest first, smallest gap that fits among the
    buffers live at the same time), each at a multiple of 64 bytes or of
    its own larger alignment. A buffer that is returned, or whose pointer a
    `mlopt_comm_*` call may keep (a bucket), stays live to the end (or
    stays an allocation when returned). Allocations inside loops or with
    dynamic sizes are left alone. Each function gets `mlopt.buffer_bytes`
    (the arena's size) and `mlopt.temporary_bytes` (the buffers' sum).
    Run after bufferization and before buffer deallocation.

    ```mlir
    %g = memref.alloc() {alignment = 64 : i64} : memref<256x784xf32>
    // becomes
    memref.global "private" @__mlopt_arena_train_step_0 : memref<802816xi8> = uninitialized {alignment = 64 : i64}
    %a = memref.get_global @__mlopt_arena_train_step_0 : memref<802816xi8>
    %c0 = arith.constant 0 : index
    %g = memref.view %a[%c0][] : memref<802816xi8> to memref<256x784xf32>
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

def MLOptSplitBlocksAtLoops : Pass<"mlopt-split-blocks-at-loops",
                                    "::mlir::func::FuncOp"> {
  let summary = "ends a function's block after every scf op";
  let description = [{
    Splits each block of the function body after every `scf` op with
    regions (loops, conditionals) that is not the last op before the
    terminator, joining the pieces with `cf.br`. `convert-scf-to-cf` splits
    the block at each such op and moves every op after it to a new block;
    with N loop nests in one block that is quadratic. Split here from the
    last op back, each op moves once. Run right before `convert-scf-to-cf`.

    ```mlir
    scf.for ... { ... }
    %x = arith.addf ...
    // becomes
    scf.for ... { ... }
    cf.br ^bb1
  ^bb1:
    %x = arith.addf ...
    ```
  }];
  let dependentDialects = ["::mlir::cf::ControlFlowDialect"];
}

def MLOptOutlineChunks : Pass<"mlopt-outline-chunks", "::mlir::ModuleOp"> {
  let summary = "splits functions with thousands of ops into chunk functions";
  let description = [{
    A function whose body holds more than `threshold` structured ops
    (linalg ops, ops with regions, calls, copies) or more than
    `op-threshold` operations (counting those nested in regions: the
    payloads of fused loop nests, which LLVM unrolls into straight-line
    code when the loops are short) is cut into consecutive chunks of about
    `chunk-size` such ops or `max-ops` operations (fewer where a chunk would read
    more than `max-arguments` values from before it: LLVM's
    CalledValuePropagation is quadratic in the arguments of one call); each
    chunk becomes a private,
    never-inlined function that the original calls in its place. The
    values a chunk reads from before it become its arguments (constants
    and `memref.get_global`s are recreated inside instead) and the values
    read after it its results; a cut never lets another buffer live across
    it. LLVM's loop passes (IndVarSimplify, LoopRotate, full unrolling)
    and its schedulers take time per loop or instruction that grows with
    the size of the function or block around it: one function of N loop
    nests is quadratic, N/chunk-size functions are not. Models of usual
    size stay below the threshold and are not changed. Run on buffers,
    after `mlopt-allocs-to-globals`.

    ```mlir
    func.func @train_step(%w: memref<4xf32>, ...) {
      // 4,000 linalg ops
    }
    // becomes
    func.func private @train_step_chunk0(%w: memref<4xf32>, ...) -> f32
        attributes {passthrough = ["noinline"], ...} { ... }
    func.func @train_step(%w: memref<4xf32>, ...) {
      %0 = call @train_step_chunk0(%w, ...) : (...) -> f32
      ...
    }
    ```
  }];
  let options = [
    Option<"threshold", "threshold", "unsigned", /*default=*/"256",
           "split functions with more structured ops than this">,
    Option<"chunkSize", "chunk-size", "unsigned", /*default=*/"64",
           "structured ops per chunk">,
    Option<"opThreshold", "op-threshold", "unsigned", /*default=*/"2048",
           "split functions with more operations (nested ones included) "
           "than this">,
    Option<"maxOps", "max-ops", "unsigned", /*default=*/"512",
           "operations (nested ones included) per chunk">,
    Option<"maxArguments", "max-arguments", "unsigned", /*default=*/"32",
           "values a chunk reads from before it (a chunk ends once it "
           "reaches this many)">,
  ];
  let dependentDialects = ["::mlir::func::FuncDialect",
    "::mlir::LLVM::LLVMDialect"];
}

def MLOptLinalgToBlas : Pass<"mlopt-linalg-to-blas", "::mlir::ModuleOp"> {
  let summary = "replaces f32, bf16 and f16 matmuls on buffers by calls of "
                "mlopt_sgemm / mlopt_gemm_bf16 / mlopt_gemm_f16";
  let description = [{
    Rewrites `linalg.matmul` and `linalg.batch_matmul` on f32 memrefs with
    identity layouts, including the variants whose indexing maps transpose
    an operand, into calls of the runtime function
    `mlopt_sgemm(transA, transB, M, N, K, A, lda, B, ldb, C, ldc, batch,
    strideA, strideB, strideC)` with linalg's semantics, C += A B (pointers
    and sizes as i64), which the runtime serves with OpenBLAS's
    `cblas_sgemm`. Products of bf16 (f16) operands into an f32 C call
    `mlopt_gemm_bf16` (`mlopt_gemm_f16`) with the same arguments: the
    runtime's AVX512_BF16 kernel where the CPU has it, else sgemm on the
    operands converted to f32 (docs/CpuLowering.md, "Low precision"). Other
    matmuls (other element types, non-unit inner strides) are left for the
    loop lowering. Run after bufferization.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect",
    "::mlir::memref::MemRefDialect", "::mlir::arith::ArithDialect",
    "::mlir::LLVM::LLVMDialect"];
}

def MLOptVectorizeMatmuls : Pass<"mlopt-vectorize-matmuls", "::mlir::ModuleOp"> {
  let summary = "tiles and vectorizes f32 matmuls on buffers";
  let description = [{
    The generated-code path for matmuls (`mlopt-lower-to-cpu{matmul=vector}`):
    applies a transform-dialect schedule to every f32 `linalg.matmul` on
    buffers whose sizes are multiples of the tiles (M, N of 128, K of 256):
    cache tiles [128, 128, 256], register tiles [8, 32, 1], vectorization,
    hoisting of the accumulator and outer-product FMAs. Other matmuls are
    left for the loop lowering. Run after bufferization.
  }];
  let dependentDialects = ["::mlir::transform::TransformDialect",
    "::mlir::vector::VectorDialect", "::mlir::scf::SCFDialect",
    "::mlir::affine::AffineDialect", "::mlir::memref::MemRefDialect"];
}

def MLOptApproximateMath : Pass<"mlopt-approximate-math"> {
  let summary = "rewrites f32, f16 and bf16 math ops into inline polynomials";
  let description = [{
    Replaces the `math` ops that would otherwise become libm calls (`expf`,
    `logf`, `erff`, `tanhf`, ...) by MLIR's polynomial approximations
    (`populateMathPolynomialApproximationPatterns`): `exp`, `expm1`, `log`,
    `log2`, `log1p`, `erf`, `erfc` and `tanh` in f32 become `arith` ops,
    `math.fma`, `math.floor` and bit casts, which LLVM's loop vectorizer
    vectorizes like any other elementwise code. `sin` and `cos` stay libm
    calls: the f32 range reduction of their polynomial loses accuracy in
    proportion to |x|. `math.rsqrt` becomes `1 / math.sqrt` (a square root
    instruction, not a libm call). f16 and bf16 ops are computed in f32
    (`arith.extf`, the f32 approximation, `arith.truncf`); f64 ops stay, for
    libm. `log`, `log2` and `log1p` of positive denormals are exact to the
    approximation's accuracy (the input is scaled by 2^24 first), where the
    upstream polynomial alone treats them as the smallest normal.
    Tolerances: docs/CpuPerformance.md, "Vectorized math". Run before
    `convert-math-to-llvm`.

    ```mlir
    %y = math.erf %x : f32
    // becomes (abridged)
    %a = math.absf %x : f32
    %p = math.fma %a, %c1, %c0 : f32
    ...
    %y = arith.select %neg, %n, %q : f32
    ```
  }];
  // Upstream's patterns broadcast their constants for vector operands.
  let dependentDialects = ["::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect", "::mlir::vector::VectorDialect"];
}

def MLOptParallelizeLoops : Pass<"mlopt-parallelize-loops", "::mlir::ModuleOp"> {
  let summary = "runs large outermost scf.parallel loops on the runtime's "
                "thread pool (mlopt_parallel_for)";
  let description = [{
    For every outermost `scf.parallel` (inside no other loop) of a
    `func.func` whose estimated work is above `min-work`, outlines the loop
    into a private function `(!llvm.ptr context, i64 begin, i64 end)` that
    runs the iterations [begin, end) of the first dimension (the other
    dimensions stay a loop inside it), and replaces the loop by a call of
    the runtime's `mlopt_parallel_for(function, context, begin, end,
    grain)`. The values the loop reads from outside (memrefs as their LLVM
    descriptors, indices as i64, scalars) are stored into a struct on the
    caller's stack, the context; operand-free side-effect-free ops
    (constants, `memref.get_global`) are recreated inside instead, so LLVM
    still sees constant bounds. The work estimate is trip counts times body
    ops (a loop of unknown trip count counts as large); `grain` is the
    number of first-dimension iterations worth about `grain-work` ops. A
    first dimension of step s != 1 runs as 0 .. ceildiv(ub - lb, s) with
    the induction variable lb + k * s. Loops with reductions (`scf.reduce`
    operands), loops that read a value of a type without an LLVM
    equivalent, and loops below the threshold are left alone (they lower
    serially). Iterations of an `scf.parallel` are independent, so the
    result is the same as the serial loop's whatever the thread count.
    Run on buffers, after the linalg lowering and `lower-affine`, before
    `convert-scf-to-cf`; the casts it leaves are removed by
    `reconcile-unrealized-casts` after `finalize-memref-to-llvm` and
    `convert-func-to-llvm`.

    ```mlir
    func.func @f(%m: memref<4096x64xf32>) {
      scf.parallel (%i, %j) = (%c0, %c0) to (%c4096, %c64) step (%c1, %c1) {
        ... memref.store %v, %m[%i, %j] ...
      }
    }
    // becomes
    func.func private @f_parallel0(%ctx: !llvm.ptr, %b: i64, %e: i64) {
      %d = llvm.load ... // the descriptor of %m
      %m = builtin.unrealized_conversion_cast %d : ... to memref<4096x64xf32>
      scf.parallel (%i, %j) = (%bi, %c0) to (%ei, %c64) step (%c1, %c1) { ... }
    }
    func.func @f(%m: memref<4096x64xf32>) {
      %ctx = llvm.alloca %c1 x !llvm.struct<(struct<(ptr, ptr, i64, ...)>)>
      llvm.store ..., %ctx
      %fn = func.constant @f_parallel0 : (!llvm.ptr, i64, i64) -> ()
      call @mlopt_parallel_for(%fp, %ctx, %c0_i64, %c4096_i64, %grain)
    }
    ```
  }];
  let options = [
    Option<"minWork", "min-work", "int64_t", /*default=*/"32768",
           "outline loops whose estimated work (trip counts times body ops) "
           "is above this">,
    Option<"grainWork", "grain-work", "int64_t", /*default=*/"4096",
           "estimated work of the smallest chunk a thread takes">,
  ];
  let dependentDialects = ["::mlir::func::FuncDialect",
    "::mlir::LLVM::LLVMDialect", "::mlir::arith::ArithDialect",
    "::mlir::scf::SCFDialect"];
}

#endif // MLOPT_CONVERSION_PASSES_TD
