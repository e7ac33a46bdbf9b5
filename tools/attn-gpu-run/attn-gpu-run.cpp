//===- attn-gpu-run.cpp - run attnc's GPU kernels on .npy files -----------===//
//
//   attn-gpu-run KERNELS.json [--function=main] [--input=@a.npy ...]
//                [--output=@o.npy ...] [--benchmark=N] [--device=N]
//
// Reads the launch descriptor that `attnc --target=nvptx -o KERNELS` wrote
// (KERNELS.json, the binary beside it), runs the function on the inputs in
// order and writes its outputs in order, as attn-run does on the CPU; with
// --benchmark, times N more runs with CUDA events and prints
// {"median_ms": ..., "min_ms": ..., "iterations": N}. Built with nvcc's
// headers alone (no MLIR or LLVM), for the GPU machine.
//
//===----------------------------------------------------------------------===//

#include "attnc/Runtime/Cuda/CudaRunner.h"
#include "attnc/Runtime/Cuda/LaunchDescriptor.h"
#include "attnc/Runtime/Npy.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

using namespace attnc::runtime;

static int fail(const std::string &message) {
  std::fprintf(stderr, "attn-gpu-run: error: %s\n", message.c_str());
  return EXIT_FAILURE;
}

static std::string stripAt(const std::string &arg) {
  return !arg.empty() && arg[0] == '@' ? arg.substr(1) : arg;
}

static const char *kUsage =
    "usage: attn-gpu-run KERNELS.json [--function=NAME] [--input=@FILE.npy "
    "...] [--output=@FILE.npy ...] [--benchmark=N] [--device=N]\n";

int main(int argc, char **argv) {
  std::string descriptorPath, functionName = "main";
  std::vector<std::string> inputFiles, outputFiles;
  long benchmark = 0, device = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char *prefix) -> const char * {
      size_t n = std::string(prefix).size();
      return arg.compare(0, n, prefix) == 0 ? argv[i] + n : nullptr;
    };
    auto number = [&](const char *text, long &out) {
      char *end = nullptr;
      out = std::strtol(text, &end, 10);
      return *text && !*end && out >= 0;
    };
    if (const char *v = value("--function="))
      functionName = v;
    else if (const char *v = value("--input="))
      inputFiles.push_back(stripAt(v));
    else if (const char *v = value("--output="))
      outputFiles.push_back(stripAt(v));
    else if (const char *v = value("--benchmark=")) {
      if (!number(v, benchmark))
        return fail("--benchmark takes a count, got '" + std::string(v) + "'");
    } else if (const char *v = value("--device=")) {
      if (!number(v, device))
        return fail("--device takes a number, got '" + std::string(v) + "'");
    } else if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return EXIT_SUCCESS;
    } else if (arg.rfind("--", 0) == 0) {
      return fail("unknown option " + arg + "\n" + kUsage);
    } else if (descriptorPath.empty()) {
      descriptorPath = arg;
    } else {
      return fail("one launch descriptor, got a second: " + arg);
    }
  }
  if (descriptorPath.empty())
    return fail(std::string("no launch descriptor given\n") + kUsage);

  std::ifstream file(descriptorPath);
  if (!file)
    return fail("cannot read " + descriptorPath);
  std::string text((std::istreambuf_iterator<char>(file)),
                   std::istreambuf_iterator<char>());
  LaunchDescriptor descriptor;
  std::string error;
  if (!parseLaunchDescriptor(text, descriptor, error))
    return fail(descriptorPath + ": " + error);
  const GpuFunction *function = descriptor.lookup(functionName);
  if (!function)
    return fail("no function @" + functionName + " in " + descriptorPath);
  if (outputFiles.size() > function->getBuffers("output").size())
    return fail("@" + functionName + " has " +
                std::to_string(function->getBuffers("output").size()) +
                " outputs but " + std::to_string(outputFiles.size()) +
                " --output files were given");

  std::vector<NpyArray> inputs(inputFiles.size());
  for (size_t i = 0; i < inputFiles.size(); ++i)
    if (!readNpy(inputFiles[i], inputs[i], error))
      return fail("input #" + std::to_string(i) + " (" + inputFiles[i] +
                  "): " + error);

  // The binary's path is absolute or relative to the descriptor.
  std::string directory;
  size_t slash = descriptorPath.find_last_of('/');
  if (slash != std::string::npos)
    directory = descriptorPath.substr(0, slash + 1);
  std::string binaryPath = !descriptor.binaryFile.empty() &&
                                   descriptor.binaryFile[0] == '/'
                               ? descriptor.binaryFile
                               : directory + descriptor.binaryFile;
  std::unique_ptr<CudaRunner> runner = CudaRunner::create(
      descriptor, binaryPath, static_cast<int>(device), error);
  if (!runner)
    return fail(error);

  std::vector<NpyArray> outputs;
  GpuTimes times;
  if (!runner->run(*function, inputs, outputs, static_cast<unsigned>(benchmark),
                   times, error))
    return fail(error);
  if (benchmark > 0)
    std::printf("{\"median_ms\": %.6f, \"min_ms\": %.6f, \"iterations\": %u, "
                "\"device\": \"%s\"}\n",
                times.medianMs, times.minMs, times.iterations,
                runner->describeDevice().c_str());
  // Every output is written to a temporary before any is renamed into
  // place: an error while writing leaves no output behind.
  std::vector<std::string> temporaries;
  for (size_t i = 0; i < outputFiles.size(); ++i) {
    std::string temp = outputFiles[i] + ".attn-gpu-run-tmp";
    if (!writeNpy(temp, outputs[i], error)) {
      for (const std::string &t : temporaries)
        std::remove(t.c_str());
      std::remove(temp.c_str());
      return fail("cannot write " + outputFiles[i] + ": " + error);
    }
    temporaries.push_back(temp);
  }
  for (size_t i = 0; i < outputFiles.size(); ++i)
    if (std::rename(temporaries[i].c_str(), outputFiles[i].c_str()) != 0) {
      for (size_t j = i; j < temporaries.size(); ++j)
        std::remove(temporaries[j].c_str());
      return fail("cannot write " + outputFiles[i]);
    }
  return EXIT_SUCCESS;
}
