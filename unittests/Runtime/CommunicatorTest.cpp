//===- CommunicatorTest.cpp - the communicators, run on every rank --------===//
//
// Its own executable (MLOptCommTests), run by ctest in a world of one and
// under `mpirun -np 2` and `-np 4`: every rank runs every test, in the same
// order, on getWorldCommunicator(). Checks each collective's values per rank
// for f32/f64/i64/bf16, the statistics, agreeOnError, timeouts (a rank that
// does not join gives an error, no hang), and compiled code calling the
// mlopt_comm_* functions; in a world of one the compiled module is also
// compared with the reference evaluator.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Runtime/Communicator.h"
#include "mlopt/InitAll.h"
#include "mlopt/Reference/Evaluator.h"
#include "mlopt/Runtime/CpuExecutable.h"
#include "mlopt/Runtime/DType.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FormatVariadic.h"

#include "gtest/gtest.h"

#include <chrono>
#include <thread>
#include <vector>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::runtime;

namespace {

Communicator &world() {
  auto communicator = getWorldCommunicator();
  if (!communicator) {
    ADD_FAILURE() << llvm::toString(communicator.takeError());
    static std::unique_ptr<Communicator> local = createLocalCommunicator();
    return *local;
  }
  // A generous limit: a failing rank must not hang the others forever.
  communicator->setTimeoutSeconds(60);
  return *communicator;
}

/// `values` as `count` elements of `dtype`.
std::vector<uint8_t> pack(DType dtype, const std::vector<double> &values) {
  std::vector<uint8_t> bytes(values.size() * dtypeSize(dtype));
  for (size_t i = 0; i < values.size(); ++i)
    storeElement(dtype, bytes.data(), i, values[i]);
  return bytes;
}
std::vector<double> unpack(DType dtype, const std::vector<uint8_t> &bytes) {
  std::vector<double> values(bytes.size() / dtypeSize(dtype));
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = loadElementAsDouble(dtype, bytes.data(), i);
  return values;
}

/// 10 * rank + i for i < count (exact in bf16 for the sums below).
std::vector<double> rankValues(int rank, int64_t count, int64_t first = 0) {
  std::vector<double> values(count);
  for (int64_t i = 0; i < count; ++i)
    values[i] = 10.0 * rank + static_cast<double>(first + i);
  return values;
}

class CollectiveValuesTest : public ::testing::TestWithParam<DType> {};

TEST_P(CollectiveValuesTest, EveryCollectivePerRank) {
  Communicator &comm = world();
  DType dtype = GetParam();
  int rank = comm.rank(), size = comm.size();
  constexpr int64_t count = 4;
  double rankSum = 10.0 * size * (size - 1) / 2;
  std::vector<double> mine = rankValues(rank, count);
  std::vector<uint8_t> send = pack(dtype, mine);
  std::vector<uint8_t> recv(send.size());

  comm.resetStats();
  struct Case {
    Reduction reduction;
    std::function<double(int64_t)> expected;
  };
  std::vector<Case> cases = {
      {Reduction::Sum, [&](int64_t i) { return rankSum + size * i; }},
      {Reduction::Mean, [&](int64_t i) { return rankSum / size + i; }},
      {Reduction::Max, [&](int64_t i) { return 10.0 * (size - 1) + i; }},
      {Reduction::Min, [&](int64_t i) { return static_cast<double>(i); }}};
  for (const Case &c : cases) {
    SCOPED_TRACE(static_cast<int>(c.reduction));
    ASSERT_FALSE(static_cast<bool>(
        comm.allReduce(send.data(), recv.data(), count, dtype, c.reduction)));
    std::vector<double> result = unpack(dtype, recv);
    for (int64_t i = 0; i < count; ++i)
      EXPECT_EQ(result[i], c.expected(i)) << "rank " << rank << " i " << i;
    // In place.
    std::vector<uint8_t> inPlace = send;
    ASSERT_FALSE(static_cast<bool>(comm.allReduce(
        inPlace.data(), inPlace.data(), count, dtype, c.reduction)));
    EXPECT_EQ(unpack(dtype, inPlace), result);
  }
  EXPECT_EQ(comm.getStats().calls, 8);
  EXPECT_EQ(comm.getStats().bytes, 8 * count * dtypeSize(dtype));

  // all_gather: rank order.
  std::vector<uint8_t> gathered(send.size() * size);
  ASSERT_FALSE(static_cast<bool>(
      comm.allGather(send.data(), gathered.data(), count, dtype)));
  std::vector<double> all = unpack(dtype, gathered);
  for (int r = 0; r < size; ++r)
    for (int64_t i = 0; i < count; ++i)
      EXPECT_EQ(all[r * count + i], 10.0 * r + i);

  // reduce_scatter: chunk `rank` of the sum of size * count elements.
  std::vector<uint8_t> wide = pack(dtype, rankValues(rank, count * size));
  comm.resetStats();
  ASSERT_FALSE(static_cast<bool>(comm.reduceScatter(
      wide.data(), recv.data(), count, dtype, Reduction::Sum)));
  EXPECT_EQ(comm.getStats().bytes, count * size * dtypeSize(dtype));
  std::vector<double> chunk = unpack(dtype, recv);
  for (int64_t i = 0; i < count; ++i)
    EXPECT_EQ(chunk[i], rankSum + size * static_cast<double>(rank * count + i));
  ASSERT_FALSE(static_cast<bool>(comm.reduceScatter(
      wide.data(), recv.data(), count, dtype, Reduction::Mean)));
  chunk = unpack(dtype, recv);
  for (int64_t i = 0; i < count; ++i)
    EXPECT_EQ(chunk[i], rankSum / size + static_cast<double>(rank * count + i));

  // broadcast from the last rank.
  std::vector<uint8_t> buffer = send;
  ASSERT_FALSE(
      static_cast<bool>(comm.broadcast(buffer.data(), count, dtype, size - 1)));
  EXPECT_EQ(unpack(dtype, buffer), rankValues(size - 1, count));

  // reduce to rank 0; the other ranks' output stays.
  std::vector<uint8_t> reduced = pack(dtype, std::vector<double>(count, -1));
  ASSERT_FALSE(static_cast<bool>(comm.reduce(send.data(), reduced.data(), count,
                                             dtype, Reduction::Sum, 0)));
  std::vector<double> sums = unpack(dtype, reduced);
  for (int64_t i = 0; i < count; ++i)
    EXPECT_EQ(sums[i], rank == 0 ? rankSum + size * i : -1.0);

  // A ring of send/recv: even ranks send first, odd ranks receive first.
  if (size > 1) {
    int next = (rank + 1) % size, previous = (rank + size - 1) % size;
    comm.resetStats();
    std::vector<uint8_t> got(send.size());
    if (rank % 2 == 0) {
      ASSERT_FALSE(
          static_cast<bool>(comm.send(send.data(), count, dtype, next)));
      ASSERT_FALSE(
          static_cast<bool>(comm.recv(got.data(), count, dtype, previous)));
    } else {
      ASSERT_FALSE(
          static_cast<bool>(comm.recv(got.data(), count, dtype, previous)));
      ASSERT_FALSE(
          static_cast<bool>(comm.send(send.data(), count, dtype, next)));
    }
    EXPECT_EQ(unpack(dtype, got), rankValues(previous, count));
    // send counts its bytes, recv none.
    EXPECT_EQ(comm.getStats().bytes, count * dtypeSize(dtype));
    EXPECT_EQ(comm.getStats().calls, 2);
  }
  EXPECT_FALSE(static_cast<bool>(comm.barrier()));
}

INSTANTIATE_TEST_SUITE_P(DTypes, CollectiveValuesTest,
                         ::testing::Values(DType::F32, DType::F64, DType::I64,
                                           DType::BF16));

TEST(CommunicatorTest, BooleansReduceAsOrAndAnd) {
  Communicator &comm = world();
  int rank = comm.rank(), size = comm.size();
  // Element 0: only rank 0 true; 1: every rank true; 2: none.
  uint8_t send[3] = {static_cast<uint8_t>(rank == 0), 1, 0}, recv[3];
  ASSERT_FALSE(static_cast<bool>(
      comm.allReduce(send, recv, 3, DType::Bool, Reduction::Sum)));
  EXPECT_EQ(recv[0], 1);
  EXPECT_EQ(recv[1], 1);
  EXPECT_EQ(recv[2], 0);
  ASSERT_FALSE(static_cast<bool>(
      comm.allReduce(send, recv, 3, DType::Bool, Reduction::Min)));
  EXPECT_EQ(recv[0], size == 1 ? 1 : 0);
  EXPECT_EQ(recv[1], 1);
}

TEST(CommunicatorTest, Bf16SumsRoundOnce) {
  // 1 + 2^-8 per rank is exact in bf16 only as 1 (8 bits): the f32 sum of
  // the bf16 inputs, rounded once.
  Communicator &comm = world();
  int size = comm.size();
  std::vector<uint8_t> send = pack(DType::BF16, {1.0, 3.0 / 256.0 + 1.0});
  std::vector<uint8_t> recv(send.size());
  ASSERT_FALSE(static_cast<bool>(comm.allReduce(send.data(), recv.data(), 2,
                                                DType::BF16, Reduction::Sum)));
  std::vector<double> inputs = unpack(DType::BF16, send);
  std::vector<double> result = unpack(DType::BF16, recv);
  std::vector<uint8_t> expected =
      pack(DType::BF16, {inputs[0] * size, inputs[1] * size});
  EXPECT_EQ(result, unpack(DType::BF16, expected));
}

TEST(CommunicatorTest, AgreeOnErrorNamesTheFailingRank) {
  Communicator &comm = world();
  int rank = comm.rank(), size = comm.size();
  comm.resetStats();
  EXPECT_FALSE(static_cast<bool>(agreeOnError(comm, llvm::Error::success())));

  int failing = size - 1;
  llvm::Error local =
      rank == failing
          ? llvm::createStringError("cannot open 'x.idx': No such file")
          : llvm::Error::success();
  llvm::Error agreed = agreeOnError(comm, std::move(local));
  ASSERT_TRUE(static_cast<bool>(agreed));
  EXPECT_EQ(llvm::toString(std::move(agreed)),
            llvm::formatv("rank {0} of {1} failed: cannot open 'x.idx': No "
                          "such file",
                          failing, size)
                .str());

  // Every rank failing: all named, the first one's message.
  llvm::Error all = agreeOnError(
      comm, llvm::createStringError(llvm::formatv("bad {0}", rank).str()));
  std::string ranks;
  for (int r = 0; r < size; ++r)
    ranks += (r ? ", " : "") + std::to_string(r);
  EXPECT_EQ(llvm::toString(std::move(all)),
            llvm::formatv("{0} {1} of {2} failed: bad 0",
                          size == 1 ? "rank" : "ranks", ranks, size)
                .str());
  // Agreement is not counted.
  EXPECT_EQ(comm.getStats().calls, 0);
  EXPECT_EQ(comm.getStats().bytes, 0);
}

TEST(CommunicatorTest, PendingErrorIsTakenOnce) {
  std::unique_ptr<Communicator> local = createLocalCommunicator();
  EXPECT_FALSE(local->hasPendingError());
  local->recordError(llvm::createStringError("first"));
  local->recordError(llvm::createStringError("second"));
  EXPECT_TRUE(local->hasPendingError());
  EXPECT_EQ(llvm::toString(local->takeError()), "first");
  EXPECT_FALSE(static_cast<bool>(local->takeError()));
}

// Buffers a timed-out request may still complete into: they outlive it.
std::vector<float> lateSend(4, 1.0f), lateRecv(4);

TEST(CommunicatorTest, TimeoutNamesTheCollectiveInsteadOfHanging) {
  Communicator &comm = world();
  if (comm.size() == 1)
    GTEST_SKIP() << "needs more than one rank";
  int rank = comm.rank();
  using Clock = std::chrono::steady_clock;
  if (rank == 0) {
    comm.setTimeoutSeconds(0.5);
    Clock::time_point start = Clock::now();
    llvm::Error error = comm.allReduce(lateSend.data(), lateRecv.data(), 4,
                                       DType::F32, Reduction::Sum);
    double waited = std::chrono::duration<double>(Clock::now() - start).count();
    ASSERT_TRUE(static_cast<bool>(error));
    std::string message = llvm::toString(std::move(error));
    EXPECT_NE(message.find("all_reduce sum of 4 f32 elements timed out after "
                           "0.5 s on rank 0 of"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("waiting for rank"), std::string::npos) << message;
    EXPECT_LT(waited, 2.0);
  } else {
    // Joins late: rank 0 has given up by then.
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    EXPECT_FALSE(static_cast<bool>(comm.allReduce(
        lateSend.data(), lateRecv.data(), 4, DType::F32, Reduction::Sum)));
  }
  comm.setTimeoutSeconds(60);
  EXPECT_FALSE(static_cast<bool>(comm.barrier()));
}

std::vector<float> lateMessage(4);

TEST(CommunicatorTest, RecvTimeoutNamesThePeer) {
  Communicator &comm = world();
  if (comm.size() == 1)
    GTEST_SKIP() << "needs more than one rank";
  int rank = comm.rank();
  if (rank == 1) {
    comm.setTimeoutSeconds(0.5);
    llvm::Error error = comm.recv(lateMessage.data(), 4, DType::F32, 0);
    ASSERT_TRUE(static_cast<bool>(error));
    std::string message = llvm::toString(std::move(error));
    EXPECT_NE(message.find("recv of 4 f32 elements from rank 0 timed out"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("waiting for rank 0"), std::string::npos) << message;
  } else if (rank == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2000));
    float values[4] = {1, 2, 3, 4};
    EXPECT_FALSE(static_cast<bool>(comm.send(values, 4, DType::F32, 1)));
  }
  comm.setTimeoutSeconds(60);
  EXPECT_FALSE(static_cast<bool>(comm.barrier()));
}

//===----------------------------------------------------------------------===//
// Compiled code
//===----------------------------------------------------------------------===//

class CompiledCollectivesTest : public ::testing::Test {
protected:
  CompiledCollectivesTest() {
    DialectRegistry registry;
    registerAllDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }

  std::unique_ptr<CpuExecutable> compile(ModuleOp module) {
    CpuCompileOptions options;
    options.useCache = false;
    auto exec = CpuExecutable::compile(module, options);
    if (!exec) {
      ADD_FAILURE() << llvm::toString(exec.takeError());
      return nullptr;
    }
    return std::move(*exec);
  }

  HostBuffer buffer(llvm::ArrayRef<int64_t> shape, Type element,
                    const std::vector<double> &values) {
    HostBuffer result(RankedTensorType::get(shape, element));
    auto dtype = dtypeFromMLIRName(
        element.isBF16() ? "bf16" : (element.isF32() ? "f32" : "i64"));
    for (size_t i = 0; i < values.size(); ++i)
      storeElement(*dtype, static_cast<uint8_t *>(result.data()), i, values[i]);
    return result;
  }
  static std::vector<double> values(const HostBuffer &buffer) {
    Type element = buffer.getType().getElementType();
    auto dtype = dtypeFromMLIRName(
        element.isBF16() ? "bf16" : (element.isF32() ? "f32" : "i64"));
    std::vector<double> result(buffer.getNumElements());
    for (int64_t i = 0; i < buffer.getNumElements(); ++i)
      result[i] = loadElementAsDouble(
          *dtype, static_cast<const uint8_t *>(buffer.data()), i);
    return result;
  }

  /// Every collective for `ranks` ranks; `p2p` adds the send/recv ring.
  static std::string collectivesModule(int ranks) {
    int chunk = 4 / ranks;
    return llvm::formatv(R"mlir(
      func.func @collectives(%x: tensor<4x2xf32>, %y: tensor<3xi64>,
                             %z: tensor<2xbf16>, %w: tensor<4x4xf32>)
          -> (tensor<4x2xf32>, tensor<3xi64>, tensor<2xbf16>,
              tensor<4x{1}xf32>, tensor<4x{0}xf32>, tensor<2x{0}xf32>,
              tensor<4x2xf32>, tensor<3xi64>, tensor<{0}x4xf32>) {
        %s:2 = mlopt.all_reduce sum %x, %y ranks = {2} : tensor<4x2xf32>, tensor<3xi64>
        %m = mlopt.all_reduce mean %z ranks = {2} : tensor<2xbf16>
        %g = mlopt.all_gather %x dim = 1 ranks = {2} : (tensor<4x2xf32>) -> tensor<4x{1}xf32>
        %h = mlopt.slice %w start [0, 0] limit [2, 4] step [1, 1] : tensor<4x4xf32> -> tensor<2x4xf32>
        %r:2 = mlopt.reduce_scatter sum %w, %h dim = 1 ranks = {2} : (tensor<4x4xf32>, tensor<2x4xf32>) -> (tensor<4x{0}xf32>, tensor<2x{0}xf32>)
        %b = mlopt.broadcast %x root = {3} ranks = {2} : tensor<4x2xf32>
        %d = mlopt.reduce max %y root = 0 ranks = {2} : tensor<3xi64>
        %c = mlopt.local_shard %w dim = 0 ranks = {2} : (tensor<4x4xf32>) -> tensor<{0}x4xf32>
        return %s#0, %s#1, %m, %g, %r#0, %r#1, %b, %d, %c
            : tensor<4x2xf32>, tensor<3xi64>, tensor<2xbf16>,
              tensor<4x{1}xf32>, tensor<4x{0}xf32>, tensor<2x{0}xf32>,
              tensor<4x2xf32>, tensor<3xi64>, tensor<{0}x4xf32>
      }
    )mlir",
                         chunk, 2 * ranks, ranks, ranks - 1)
        .str();
  }

  MLIRContext context;
};

TEST_F(CompiledCollectivesTest, EveryCollectiveOnEveryRank) {
  Communicator &comm = world();
  int rank = comm.rank(), size = comm.size();
  std::string source = collectivesModule(size);
  if (size > 1)
    source += llvm::formatv(R"mlir(
      func.func @send_first(%x: tensor<4xf32>) -> tensor<4xf32> {
        mlopt.send %x dest = {0} ranks = {2} : tensor<4xf32>
        %r = mlopt.recv source = {1} ranks = {2} : tensor<4xf32>
        return %r : tensor<4xf32>
      }
      func.func @recv_first(%x: tensor<4xf32>) -> tensor<4xf32> {
        %r = mlopt.recv source = {1} ranks = {2} : tensor<4xf32>
        mlopt.send %x dest = {0} ranks = {2} : tensor<4xf32>
        return %r : tensor<4xf32>
      }
    )mlir",
                            (rank + 1) % size, (rank + size - 1) % size, size)
                  .str();
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(source, &context);
  ASSERT_TRUE(module) << source;
  std::unique_ptr<CpuExecutable> exec = compile(*module);
  // Every rank must reach the calls: agree on the compile first.
  ASSERT_FALSE(static_cast<bool>(
      agreeOnError(comm, exec ? llvm::Error::success()
                              : llvm::createStringError("compile failed"))));

  Type f32 = Float32Type::get(&context), i64 = IntegerType::get(&context, 64),
       bf16 = BFloat16Type::get(&context);
  HostBuffer x = buffer({4, 2}, f32, rankValues(rank, 8));
  HostBuffer y = buffer({3}, i64, {static_cast<double>(rank), 5.0 - rank, 7});
  HostBuffer z = buffer({2}, bf16, {2.0 * rank, 1.5});
  HostBuffer w = buffer({4, 4}, f32, rankValues(rank, 16));

  setActiveCommunicator(&comm);
  comm.resetStats();
  auto results = exec->call("collectives", {&x, &y, &z, &w});
  setActiveCommunicator(nullptr);
  ASSERT_TRUE(static_cast<bool>(results))
      << llvm::toString(results.takeError());
  ASSERT_FALSE(static_cast<bool>(comm.takeError()));
  // all_reduce (x, y) + all_reduce z + all_gather + reduce_scatter +
  // broadcast + reduce; f32 and i64 in one bucket are one call each.
  EXPECT_EQ(comm.getStats().bytes,
            8 * 4 + 3 * 8 + 2 * 2 + 8 * 4 + (16 + 8) * 4 + 8 * 4 + 3 * 8);

  double rankSum = 10.0 * size * (size - 1) / 2;
  std::vector<double> sum = values((*results)[0]);
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(sum[i], rankSum + size * i);
  std::vector<double> ySum = values((*results)[1]);
  EXPECT_EQ(ySum[0], size * (size - 1) / 2.0);
  EXPECT_EQ(ySum[1], 5.0 * size - size * (size - 1) / 2.0);
  EXPECT_EQ(ySum[2], 7.0 * size);
  std::vector<double> mean = values((*results)[2]);
  EXPECT_EQ(mean[0], static_cast<double>(size - 1));
  EXPECT_EQ(mean[1], 1.5);
  // all_gather along dim 1: row o is [rank 0's row o, rank 1's row o, ...].
  std::vector<double> gathered = values((*results)[3]);
  for (int o = 0; o < 4; ++o)
    for (int r = 0; r < size; ++r)
      for (int i = 0; i < 2; ++i)
        EXPECT_EQ(gathered[(o * size + r) * 2 + i], 10.0 * r + o * 2 + i);
  // reduce_scatter along dim 1: this rank's columns of the sum.
  int chunk = 4 / size;
  std::vector<double> scattered = values((*results)[4]);
  std::vector<double> scatteredHead = values((*results)[5]);
  for (int o = 0; o < 4; ++o)
    for (int i = 0; i < chunk; ++i) {
      double expected = rankSum + size * (o * 4 + rank * chunk + i);
      EXPECT_EQ(scattered[o * chunk + i], expected);
      if (o < 2) {
        EXPECT_EQ(scatteredHead[o * chunk + i], expected);
      }
    }
  EXPECT_EQ(values((*results)[6]), rankValues(size - 1, 8));
  std::vector<double> reduced = values((*results)[7]);
  std::vector<double> reducedExpected = {size - 1.0, 5.0, 7.0};
  if (rank != 0)
    reducedExpected = {0, 0, 0};
  EXPECT_EQ(reduced, reducedExpected);
  EXPECT_EQ(values((*results)[8]),
            rankValues(rank, 4 * chunk, rank * 4 * chunk));

  if (size > 1) {
    HostBuffer v = buffer({4}, f32, rankValues(rank, 4));
    setActiveCommunicator(&comm);
    auto got = exec->call(rank % 2 == 0 ? "send_first" : "recv_first", {&v});
    setActiveCommunicator(nullptr);
    ASSERT_TRUE(static_cast<bool>(got)) << llvm::toString(got.takeError());
    ASSERT_FALSE(static_cast<bool>(comm.takeError()));
    EXPECT_EQ(values((*got)[0]), rankValues((rank + size - 1) % size, 4));
  }
}

TEST_F(CompiledCollectivesTest, OtherRankCountIsAnError) {
  Communicator &comm = world();
  int size = comm.size();
  std::string source = llvm::formatv(R"mlir(
    func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
      %a = mlopt.all_reduce sum %x ranks = {0} : tensor<4xf32>
      %b = mlopt.broadcast %a root = 0 ranks = {0} : tensor<4xf32>
      return %b : tensor<4xf32>
    }
  )mlir",
                                     size + 1)
                           .str();
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(source, &context);
  ASSERT_TRUE(module);
  std::unique_ptr<CpuExecutable> exec = compile(*module);
  ASSERT_TRUE(exec);
  HostBuffer x = buffer({4}, Float32Type::get(&context), {1, 2, 3, 4});
  setActiveCommunicator(&comm);
  auto results = exec->call("f", {&x});
  setActiveCommunicator(nullptr);
  ASSERT_TRUE(static_cast<bool>(results));
  llvm::Error error = comm.takeError();
  ASSERT_TRUE(static_cast<bool>(error));
  EXPECT_EQ(llvm::toString(std::move(error)),
            llvm::formatv("mlopt.all_reduce compiled for {0} ranks, running "
                          "on {1}",
                          size + 1, size)
                .str());
  // Outputs are zeros; the later broadcast did nothing.
  EXPECT_EQ(values((*results)[0]), (std::vector<double>{0, 0, 0, 0}));
  EXPECT_FALSE(static_cast<bool>(comm.takeError()));
}

TEST_F(CompiledCollectivesTest, WorldOfOneMatchesTheEvaluator) {
  Communicator &comm = world();
  if (comm.size() != 1)
    GTEST_SKIP() << "the reference evaluator runs a world of one";
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(collectivesModule(1), &context);
  ASSERT_TRUE(module);
  std::unique_ptr<CpuExecutable> exec = compile(*module);
  ASSERT_TRUE(exec);
  Type f32 = Float32Type::get(&context), i64 = IntegerType::get(&context, 64),
       bf16 = BFloat16Type::get(&context);
  std::vector<double> xs = {0.5, -1.25, 3, 4, 5.5, -6, 7, 8};
  std::vector<double> ws(16);
  for (int i = 0; i < 16; ++i)
    ws[i] = 0.25 * i - 2;
  HostBuffer x = buffer({4, 2}, f32, xs);
  HostBuffer y = buffer({3}, i64, {3, -4, 5});
  HostBuffer z = buffer({2}, bf16, {1.5, -0.375});
  HostBuffer w = buffer({4, 4}, f32, ws);
  // No active communicator: the mlopt_comm_* functions use a world of one.
  auto results = exec->call("collectives", {&x, &y, &z, &w});
  ASSERT_TRUE(static_cast<bool>(results))
      << llvm::toString(results.takeError());
  ASSERT_FALSE(static_cast<bool>(getCommunicatorForCompiledCode().takeError()));

  reference::Evaluator evaluator(*module);
  auto tensor = [](Type element, llvm::ArrayRef<int64_t> shape,
                   const std::vector<double> &v) {
    auto type = RankedTensorType::get(shape, element);
    if (isa<FloatType>(element))
      return reference::Tensor::fromDoubles(type, v);
    std::vector<int64_t> ints(v.begin(), v.end());
    return reference::Tensor::fromInts(type, ints);
  };
  reference::StateMap state;
  auto expected = evaluator.call(
      "collectives",
      {tensor(f32, {4, 2}, xs), tensor(i64, {3}, {3, -4, 5}),
       tensor(bf16, {2}, {1.5, -0.375}), tensor(f32, {4, 4}, ws)},
      state);
  ASSERT_TRUE(succeeded(expected));
  ASSERT_EQ(expected->size(), results->size());
  for (size_t i = 0; i < results->size(); ++i) {
    std::vector<double> want((*expected)[i].getNumElements());
    for (size_t j = 0; j < want.size(); ++j)
      want[j] = (*expected)[i].getAsDouble(j);
    EXPECT_EQ(values((*results)[i]), want) << "result " << i;
  }
}

} // namespace
