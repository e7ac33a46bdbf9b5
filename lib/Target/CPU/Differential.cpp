//===- Differential.cpp - the optimised path against the oracle -----------===//

#include "attnc/Target/CPU/Differential.h"

#include "attnc/Dialect/Attn/IR/AttnOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstring>
#include <random>

using namespace mlir;
using attnc::runtime::NpyArray;

/// The inclusive range of random values for integer argument `arg`.
static std::pair<int64_t, int64_t> getIntegerRange(BlockArgument arg) {
  for (Operation *user : arg.getUsers()) {
    if (auto gate = dyn_cast<attn::EmbeddingGateOp>(user);
        gate && gate.getIds() == arg) {
      int64_t vocab =
          cast<RankedTensorType>(gate.getTable().getType()).getDimSize(0);
      return {0, std::max<int64_t>(vocab - 1, 0)};
    }
    if (auto attention = dyn_cast<attn::AttentionOp>(user);
        attention && attention.getKvLengths() == arg) {
      // Any length is well defined (keys at or past it are masked); this
      // range covers none, some and all of the keys.
      int64_t keys = 0;
      for (int64_t size :
           cast<RankedTensorType>(attention.getKeys().front().getType())
               .getShape())
        keys = std::max(keys, size);
      return {0, keys};
    }
  }
  return {-8, 8};
}

/// The raw bits of `value` rounded to the 16-bit float `semantics`.
static uint16_t toHalfBits(float value, const llvm::fltSemantics &semantics) {
  bool losesInfo;
  llvm::APFloat rounded(value);
  rounded.convert(semantics, llvm::APFloat::rmNearestTiesToEven, &losesInfo);
  return static_cast<uint16_t>(rounded.bitcastToAPInt().getZExtValue());
}

std::vector<NpyArray> attn::makeRandomInputs(func::FuncOp func,
                                             uint64_t seed) {
  std::mt19937_64 engine(seed);
  std::normal_distribution<float> normal(0.0f, 0.5f);
  std::vector<NpyArray> inputs;
  for (BlockArgument arg : func.getArguments()) {
    auto type = cast<RankedTensorType>(arg.getType());
    Type element = type.getElementType();
    NpyArray array;
    array.descr = getNpyDescr(element);
    array.shape.assign(type.getShape().begin(), type.getShape().end());
    size_t count = array.getNumElements();
    array.data.resize(count * attnc::runtime::getNpyItemSize(array.descr));
    char *data = array.data.data();
    auto [low, high] = element.isInteger() && !element.isInteger(1)
                           ? getIntegerRange(arg)
                           : std::pair<int64_t, int64_t>(0, 1);
    std::uniform_int_distribution<int64_t> integers(low, high);
    for (size_t i = 0; i < count; ++i) {
      if (element.isF32()) {
        float v = normal(engine);
        std::memcpy(data + 4 * i, &v, 4);
      } else if (element.isF64()) {
        double v = normal(engine);
        std::memcpy(data + 8 * i, &v, 8);
      } else if (element.isF16() || element.isBF16()) {
        uint16_t bits = toHalfBits(normal(engine),
                                   cast<FloatType>(element).getFloatSemantics());
        std::memcpy(data + 2 * i, &bits, 2);
      } else if (element.isInteger(1)) {
        data[i] = static_cast<char>(integers(engine));
      } else if (element.isInteger(32)) {
        int32_t v = static_cast<int32_t>(integers(engine));
        std::memcpy(data + 4 * i, &v, 4);
      } else {
        int64_t v = integers(engine);
        std::memcpy(data + 8 * i, &v, 8);
      }
    }
    inputs.push_back(std::move(array));
  }
  return inputs;
}

double attn::getDifferentialTolerance(func::FuncOp func) {
  bool f16 = false, bf16 = false;
  auto note = [&](Type type) {
    Type element = getElementTypeOrSelf(type);
    f16 |= element.isF16();
    bf16 |= element.isBF16();
  };
  for (Type type : func.getArgumentTypes())
    note(type);
  func.walk([&](Operation *op) {
    for (Type type : op->getResultTypes())
      note(type);
    for (Region &region : op->getRegions())
      for (Block &block : region)
        for (BlockArgument arg : block.getArguments())
          note(arg.getType());
  });
  return bf16 ? 1e-2 : f16 ? 1e-3 : 1e-5;
}

/// Element `i` of an array of T.
template <typename T>
static double load(const char *data, size_t i) {
  T v;
  std::memcpy(&v, data + sizeof(T) * i, sizeof(T));
  return static_cast<double>(v);
}

/// Element `i` of `array` as a double.
static double getElement(const NpyArray &array, size_t i) {
  const char *data = array.data.data();
  const std::string &descr = array.descr;
  if (descr == "<f4")
    return load<float>(data, i);
  if (descr == "<f8")
    return load<double>(data, i);
  if (descr == "<i4")
    return load<int32_t>(data, i);
  if (descr == "<i8")
    return load<int64_t>(data, i);
  if (descr == "<f2" || descr == "<u2") {
    uint16_t bits;
    std::memcpy(&bits, data + 2 * i, 2);
    llvm::APFloat value(descr == "<f2" ? llvm::APFloat::IEEEhalf()
                                       : llvm::APFloat::BFloat(),
                        llvm::APInt(16, bits));
    return value.convertToFloat();
  }
  return data[i] != 0;
}

attn::ResultComparison attn::compareArrays(const NpyArray &optimized,
                                           const NpyArray &oracle,
                                           double tolerance) {
  ResultComparison result;
  if (optimized.descr != oracle.descr || optimized.shape != oracle.shape) {
    result.mismatch = "dtype or shape differs";
    return result;
  }
  bool isFloat = oracle.descr == "<f4" || oracle.descr == "<f8" ||
                 oracle.descr == "<f2" || oracle.descr == "<u2";
  size_t count = oracle.getNumElements();
  double largest = 0;
  for (size_t i = 0; i < count; ++i) {
    double v = getElement(oracle, i);
    if (std::isfinite(v))
      largest = std::max(largest, std::fabs(v));
  }
  auto describe = [&](size_t i, double a, double b) {
    std::string text;
    llvm::raw_string_ostream os(text);
    os << "element " << i << ": " << llvm::format("%.9g", a)
       << " against the oracle's " << llvm::format("%.9g", b);
    return text;
  };
  double worst = 0;
  size_t worstIndex = 0;
  size_t itemSize = attnc::runtime::getNpyItemSize(oracle.descr);
  for (size_t i = 0; i < count; ++i) {
    double a = getElement(optimized, i), b = getElement(oracle, i);
    if (!isFloat) {
      if (std::memcmp(optimized.data.data() + i * itemSize,
                      oracle.data.data() + i * itemSize, itemSize) != 0) {
        result.mismatch = describe(i, a, b);
        return result;
      }
      continue;
    }
    if (!std::isfinite(a) || !std::isfinite(b)) {
      bool same = (std::isnan(a) && std::isnan(b)) || a == b;
      if (!same) {
        result.mismatch = describe(i, a, b);
        return result;
      }
      continue;
    }
    double relative = std::fabs(a - b) / std::max(largest, 1e-30);
    if (relative > worst) {
      worst = relative;
      worstIndex = i;
    }
  }
  result.maxRelativeDifference = worst;
  result.agree = worst <= tolerance;
  if (!result.agree)
    result.mismatch = describe(worstIndex, getElement(optimized, worstIndex),
                               getElement(oracle, worstIndex));
  return result;
}

attn::DifferentialOutcome
attn::runDifferential(ModuleOp module, StringRef name,
                      ArrayRef<NpyArray> inputs,
                      const CpuPipelineOptions &options, unsigned numThreads,
                      llvm::TargetMachine &host) {
  DifferentialOutcome outcome;
  using Status = DifferentialOutcome::Status;
  auto func = module.lookupSymbol<func::FuncOp>(name);
  if (!func) {
    outcome.error = "no function @" + name.str();
    return outcome;
  }
  outcome.tolerance = getDifferentialTolerance(func);

  auto run = [&](bool reference, std::vector<NpyArray> &results,
                 std::string &error) {
    CpuPipelineOptions pathOptions;
    pathOptions.copyOptionValuesFrom(options);
    pathOptions.reference = reference;
    std::unique_ptr<JitFunction> compiled = JitFunction::compile(
        module, name, pathOptions, numThreads, host, error);
    std::unique_ptr<JitResults> buffers;
    if (!compiled || !compiled->call(inputs, buffers, error))
      return false;
    for (unsigned i = 0; i < buffers->size(); ++i)
      results.push_back(buffers->toArray(i));
    return true;
  };
  std::vector<NpyArray> oracle, optimized;
  if (!run(/*reference=*/true, oracle, outcome.error)) {
    outcome.status = Status::OracleRejected;
    return outcome;
  }
  if (!run(/*reference=*/false, optimized, outcome.error)) {
    outcome.status = Status::OptimizedRejected;
    return outcome;
  }
  outcome.status = Status::Agree;
  for (auto [a, b] : llvm::zip_equal(optimized, oracle)) {
    outcome.results.push_back(compareArrays(a, b, outcome.tolerance));
    if (!outcome.results.back().agree)
      outcome.status = Status::Disagree;
  }
  return outcome;
}
