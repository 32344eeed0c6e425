//===- NNOps.cpp - layers, reductions, normalization ----------------------===//

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Dialect/MLOpt/IR/ShapeFunctions.h"

#include "mlir/Interfaces/FunctionInterfaces.h"

using namespace mlir;
using namespace mlir::mlopt;

static RankedTensorType tensorType(Value value) {
  return cast<RankedTensorType>(value.getType());
}

static LogicalResult requireSameElementType(std::optional<Location> loc,
                                            StringRef name, Value value,
                                            Type elementType) {
  if (tensorType(value).getElementType() == elementType)
    return success();
  return emitOptionalError(loc, name, " has element type ",
                           tensorType(value).getElementType(), ", expected ",
                           elementType);
}

//===----------------------------------------------------------------------===//
// Matrix products
//===----------------------------------------------------------------------===//

LogicalResult LinearOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  RankedTensorType inputType = tensorType(adaptor.getInput());
  RankedTensorType weightType = tensorType(adaptor.getWeight());
  Type elementType = inputType.getElementType();
  if (inputType.getRank() < 1)
    return emitOptionalError(loc, "input must have rank >= 1, got ", inputType);
  if (weightType.getRank() != 2)
    return emitOptionalError(loc, "weight must be [out, in], got ", weightType);
  if (failed(requireSameElementType(loc, "weight", adaptor.getWeight(),
                                    elementType)))
    return failure();
  int64_t in = inputType.getShape().back();
  int64_t out = weightType.getDimSize(0);
  if (weightType.getDimSize(1) != in)
    return emitOptionalError(loc, "weight ", weightType,
                             " does not take inputs of size ", in);
  if (Value bias = adaptor.getBias()) {
    RankedTensorType biasType = tensorType(bias);
    if (failed(requireSameElementType(loc, "bias", bias, elementType)))
      return failure();
    if (biasType.getRank() != 1 || biasType.getDimSize(0) != out)
      return emitOptionalError(loc, "bias must be [", out, "], got ", biasType);
  }
  SmallVector<int64_t> shape(inputType.getShape());
  shape.back() = out;
  inferred.push_back(RankedTensorType::get(shape, elementType));
  return success();
}

int64_t LinearOp::getFlops() {
  int64_t in = tensorType(getWeight()).getDimSize(1);
  int64_t flops = 2 * in * getType().getNumElements();
  if (getBias())
    flops += getType().getNumElements();
  return flops;
}

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  RankedTensorType lhsType = tensorType(adaptor.getLhs());
  RankedTensorType rhsType = tensorType(adaptor.getRhs());
  if (lhsType.getRank() != 2 || rhsType.getRank() != 2)
    return emitOptionalError(loc, "operands must be matrices, got ", lhsType,
                             " and ", rhsType);
  if (failed(requireSameElementType(loc, "rhs", adaptor.getRhs(),
                                    lhsType.getElementType())))
    return failure();
  if (lhsType.getDimSize(1) != rhsType.getDimSize(0))
    return emitOptionalError(loc, "contraction sizes differ: ", lhsType,
                             " and ", rhsType);
  inferred.push_back(
      RankedTensorType::get({lhsType.getDimSize(0), rhsType.getDimSize(1)},
                            lhsType.getElementType()));
  return success();
}

int64_t MatmulOp::getFlops() {
  return 2 * tensorType(getLhs()).getDimSize(1) * getType().getNumElements();
}

LogicalResult BatchMatmulOp::inferReturnTypes(MLIRContext *,
                                              std::optional<Location> loc,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &inferred) {
  RankedTensorType lhsType = tensorType(adaptor.getLhs());
  RankedTensorType rhsType = tensorType(adaptor.getRhs());
  int64_t rank = lhsType.getRank();
  if (rank < 3 || rhsType.getRank() != rank)
    return emitOptionalError(loc, "operands must have the same rank >= 3, got ",
                             lhsType, " and ", rhsType);
  if (failed(requireSameElementType(loc, "rhs", adaptor.getRhs(),
                                    lhsType.getElementType())))
    return failure();
  if (lhsType.getShape().drop_back(2) != rhsType.getShape().drop_back(2))
    return emitOptionalError(loc, "batch dimensions differ: ", lhsType, " and ",
                             rhsType);
  if (lhsType.getDimSize(rank - 1) != rhsType.getDimSize(rank - 2))
    return emitOptionalError(loc, "contraction sizes differ: ", lhsType,
                             " and ", rhsType);
  SmallVector<int64_t> shape(lhsType.getShape());
  shape.back() = rhsType.getShape().back();
  inferred.push_back(RankedTensorType::get(shape, lhsType.getElementType()));
  return success();
}

int64_t BatchMatmulOp::getFlops() {
  return 2 * tensorType(getLhs()).getShape().back() *
         getType().getNumElements();
}

//===----------------------------------------------------------------------===//
// Softmax
//===----------------------------------------------------------------------===//

template <typename OpTy> static LogicalResult verifySoftmaxDim(OpTy op) {
  int64_t rank = op.getType().getRank();
  int64_t dim = static_cast<int64_t>(op.getDim());
  if (!normalizeDim(dim, rank))
    return op.emitOpError("dimension ")
           << dim << " is out of range for rank " << rank;
  return success();
}

LogicalResult SoftmaxOp::verify() { return verifySoftmaxDim(*this); }
LogicalResult LogSoftmaxOp::verify() { return verifySoftmaxDim(*this); }

int64_t SoftmaxOp::getNormalizedDim() {
  return *normalizeDim(static_cast<int64_t>(getDim()), getType().getRank());
}
int64_t LogSoftmaxOp::getNormalizedDim() {
  return *normalizeDim(static_cast<int64_t>(getDim()), getType().getRank());
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

template <typename Adaptor>
static LogicalResult inferReduction(std::optional<Location> loc,
                                    Adaptor adaptor,
                                    SmallVectorImpl<Type> &inferred) {
  RankedTensorType inputType = tensorType(adaptor.getInput());
  if (adaptor.getDims().empty())
    return emitOptionalError(loc, "needs at least one dimension to reduce");
  FailureOr<SmallVector<int64_t>> dims =
      normalizeDims(loc, adaptor.getDims(), inputType.getRank());
  if (failed(dims))
    return failure();
  inferred.push_back(RankedTensorType::get(
      reducedShape(inputType.getShape(), *dims, adaptor.getKeepdim()),
      inputType.getElementType()));
  return success();
}

#define MLOPT_REDUCTION(OP)                                                    \
  LogicalResult OP::inferReturnTypes(                                          \
      MLIRContext *, std::optional<Location> loc, Adaptor adaptor,             \
      SmallVectorImpl<Type> &inferred) {                                       \
    return inferReduction(loc, adaptor, inferred);                             \
  }                                                                            \
  SmallVector<int64_t> OP::getNormalizedDims() {                               \
    return *normalizeDims(std::nullopt, getDims(),                             \
                          getInput().getType().getRank());                     \
  }
MLOPT_REDUCTION(SumOp)
MLOPT_REDUCTION(MeanOp)
MLOPT_REDUCTION(MaxOp)
#undef MLOPT_REDUCTION

LogicalResult ArgmaxOp::inferReturnTypes(MLIRContext *context,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  RankedTensorType inputType = tensorType(adaptor.getInput());
  int64_t dim = static_cast<int64_t>(adaptor.getDim());
  std::optional<int64_t> normalized = normalizeDim(dim, inputType.getRank());
  if (!normalized)
    return emitOptionalError(loc, "dimension ", dim,
                             " is out of range for rank ", inputType.getRank());
  inferred.push_back(RankedTensorType::get(
      reducedShape(inputType.getShape(), {*normalized}, adaptor.getKeepdim()),
      IntegerType::get(context, 64)));
  return success();
}

//===----------------------------------------------------------------------===//
// Embedding, normalization, dropout
//===----------------------------------------------------------------------===//

LogicalResult EmbeddingOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  RankedTensorType weightType = tensorType(adaptor.getWeight());
  if (weightType.getRank() != 2)
    return emitOptionalError(loc, "weight must be [num_embeddings, dim], got ",
                             weightType);
  SmallVector<int64_t> shape(tensorType(adaptor.getIndices()).getShape());
  shape.push_back(weightType.getDimSize(1));
  inferred.push_back(RankedTensorType::get(shape, weightType.getElementType()));
  return success();
}

LogicalResult OneHotOp::verify() {
  auto indicesType = cast<RankedTensorType>(getIndices().getType());
  RankedTensorType resultType = getType();
  if (resultType.getRank() != indicesType.getRank() + 1 ||
      resultType.getShape().drop_back() != indicesType.getShape())
    return emitOpError("result ")
           << resultType << " must be the indices' shape " << indicesType
           << " plus a trailing class dimension";
  return success();
}

LogicalResult OneHotOp::resizeBatch(TypeRange oldOperandTypes, int64_t oldBatch,
                                    int64_t newBatch) {
  auto indicesType = cast<RankedTensorType>(getIndices().getType());
  if (oldOperandTypes.front() == indicesType)
    return emitBatchResizeError(*this, oldBatch, newBatch)
           << "its indices do not carry the batch";
  SmallVector<int64_t> shape(indicesType.getShape());
  shape.push_back(getType().getShape().back());
  getResult().setType(getType().clone(shape));
  return success();
}

LogicalResult
EmbeddingGradOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                  Adaptor adaptor,
                                  SmallVectorImpl<Type> &inferred) {
  RankedTensorType indicesType = tensorType(adaptor.getIndices());
  RankedTensorType gradType = tensorType(adaptor.getGrad());
  int64_t numEmbeddings = static_cast<int64_t>(adaptor.getNumEmbeddings());
  if (numEmbeddings < 1)
    return emitOptionalError(loc, "num_embeddings must be >= 1, got ",
                             numEmbeddings);
  if (gradType.getRank() != indicesType.getRank() + 1 ||
      gradType.getShape().drop_back() != indicesType.getShape())
    return emitOptionalError(loc, "grad ", gradType,
                             " must be the indices' shape ", indicesType,
                             " plus a trailing embedding dimension");
  inferred.push_back(RankedTensorType::get(
      {numEmbeddings, gradType.getShape().back()}, gradType.getElementType()));
  return success();
}

LogicalResult LayerNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  RankedTensorType inputType = tensorType(adaptor.getInput());
  int64_t normalizedRank = static_cast<int64_t>(adaptor.getNormalizedRank());
  if (normalizedRank < 1 || normalizedRank > inputType.getRank())
    return emitOptionalError(loc, "normalized_rank ", normalizedRank,
                             " must be in [1, ", inputType.getRank(), "]");
  if (!(adaptor.getEps().convertToDouble() > 0.0))
    return emitOptionalError(loc, "eps must be positive");
  ArrayRef<int64_t> normalizedShape =
      inputType.getShape().take_back(normalizedRank);
  for (auto [name, value] :
       {std::pair<StringRef, Value>{"weight", adaptor.getWeight()},
        {"bias", adaptor.getBias()}}) {
    if (!value)
      continue;
    if (failed(requireSameElementType(loc, name, value,
                                      inputType.getElementType())))
      return failure();
    if (tensorType(value).getShape() != normalizedShape)
      return emitOptionalError(loc, name, " of type ", value.getType(),
                               " must have the normalized shape [",
                               normalizedShape, "]");
  }
  inferred.push_back(inputType);
  return success();
}

LogicalResult DropoutOp::verify() {
  double p = getP().convertToDouble();
  if (!(p >= 0.0 && p < 1.0))
    return emitOpError("probability p = ") << p << " must be in [0, 1)";
  return success();
}

/// What a dropout draws its mask from, besides the stream: the rng state its
/// seed reads (any read of it), or else the seed value itself.
static llvm::PointerUnion<Attribute, Value> seedSource(DropoutOp op) {
  if (auto read = op.getSeed().getDefiningOp<StateReadOp>())
    return read.getStateAttr().getAttr();
  return op.getSeed();
}

LogicalResult DropoutOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  if (auto read = getSeed().getDefiningOp<StateReadOp>()) {
    // An unknown state is reported by the state_read itself.
    auto state =
        symbolTable.lookupNearestSymbolFrom<StateOp>(read, read.getStateAttr());
    if (state && state.getKind() != StateKind::Rng)
      return emitOpError("seed reads state ")
             << read.getStateAttr() << " of kind '"
             << stringifyStateKind(state.getKind())
             << "'; a dropout's seed must be an 'rng' state, which @init "
                "draws from the seed and train_step advances";
  }
  // The same seed and stream draw the same mask. @train_step replays each
  // forward mask on its cotangent (mlopt-autodiff), by design.
  auto func = (*this)->getParentOfType<FunctionOpInterface>();
  if (!func || func->hasAttr(MLOptDialect::kTrainStepAttrName))
    return success();
  llvm::PointerUnion<Attribute, Value> source = seedSource(*this);
  DropoutOp earlier;
  func.walk([&](DropoutOp other) {
    if (other == *this)
      return WalkResult::interrupt();
    if (other.getStream() == getStream() && seedSource(other) == source) {
      earlier = other;
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (!earlier)
    return success();
  InFlightDiagnostic diag = emitOpError("shares stream ") << getStream();
  if (auto state = dyn_cast<Attribute>(source))
    diag << " of state @" << cast<StringAttr>(state).getValue();
  else
    diag << " of its seed value";
  diag << " with an earlier dropout, so both draw the same mask; give each "
          "dropout its own stream";
  diag.attachNote(earlier.getLoc()) << "the earlier dropout";
  return diag;
}

void EmbeddingOp::getIndexOperands(
    SmallVectorImpl<IndexOperand> &indexOperands) {
  RankedTensorType weightType = tensorType(getWeight());
  if (weightType.getRank() == 2)
    indexOperands.push_back(
        {getIndicesMutable().getOperandNumber(), weightType.getDimSize(0)});
}

void OneHotOp::getIndexOperands(SmallVectorImpl<IndexOperand> &indexOperands) {
  RankedTensorType resultType = getType();
  if (resultType.getRank() >= 1)
    indexOperands.push_back(
        {getIndicesMutable().getOperandNumber(), resultType.getShape().back()});
}

void EmbeddingGradOp::getIndexOperands(
    SmallVectorImpl<IndexOperand> &indexOperands) {
  indexOperands.push_back({getIndicesMutable().getOperandNumber(),
                           static_cast<int64_t>(getNumEmbeddings())});
}

/// In evaluation dropout keeps every element, unscaled.
LogicalResult DropoutOp::convertToEvalMode(RewriterBase &rewriter) {
  rewriter.replaceOp(*this, getInput());
  return success();
}

LogicalResult TapOp::verify() {
  if (getName().empty())
    return emitOpError("needs a non-empty name");
  return success();
}

/// In evaluation the value of the evaluation operand.
LogicalResult ModeSelectOp::convertToEvalMode(RewriterBase &rewriter) {
  rewriter.replaceOp(*this, getEvaluation());
  return success();
}
