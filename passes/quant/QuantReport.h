//===- QuantReport.h - Per-layer quantization error of a prepared graph -*- C++ -*-===//
//
// `qatc report` as a library call. For every fake_quantize of a prepared
// graph it gathers the qparams and observed range from the observer state,
// and measures the quantization error on sample data: the same batches run
// through the graph with every fake quant on (the numbers finalize will
// deploy) and with every fake quant bypassed (the float graph); each fake
// quant's output is compared with its float counterpart as a signal to
// quantization noise ratio. For a weight fake quant that is the quantized
// weight against the float weight, for an activation fake quant the
// activation of the fake-quant graph against the float graph's, so it
// includes the error of every layer before it. docs/cli.md describes the
// command.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_PASSES_QUANT_QUANTREPORT_H
#define QATC_PASSES_QUANT_QUANTREPORT_H

#include "ir/Graph.h"
#include "runtime/Tensor.h"

#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace qatc {

/// Error statistics of an approximation against a reference signal,
/// accumulated over any number of tensors.
struct ErrorStats {
  /// Sum of squared reference values.
  double Signal = 0;
  /// Sum of squared differences.
  double Noise = 0;
  /// Largest absolute difference.
  double MaxAbsError = 0;
  /// Elements compared.
  int64_t Count = 0;

  /// Adds Ref against Approx element by element (same length).
  void add(llvm::ArrayRef<float> Ref, llvm::ArrayRef<float> Approx);
  /// 10 log10(Signal / Noise): +inf when there is no noise, -inf when the
  /// signal is zero but the noise is not.
  double sqnrDb() const;
};

/// Which tensor a fake quant quantizes.
enum class FakeQuantKind {
  /// The weight operand of a conv, conv_transpose or linear.
  Weight,
  /// A graph input.
  Input,
  /// Any other activation.
  Activation,
};

/// Spelling of a kind in reports: "weight", "input", "activation".
llvm::StringRef fakeQuantKindName(FakeQuantKind K);

/// One fake_quantize node of the graph.
struct FakeQuantReport {
  /// The fake_quantize node.
  std::string Name;
  /// The layer it belongs to: the consuming layer of a weight, else the
  /// node whose result it quantizes.
  std::string Layer;
  FakeQuantKind Kind = FakeQuantKind::Activation;
  /// Scale and zero point, one per channel (one for per-tensor).
  std::vector<float> Scale, ZeroPoint;
  int64_t QuantMin = 0, QuantMax = 0;
  /// The observer: moving_average_min_max, min_max, ema_min_max or fixed.
  std::string Observer;
  /// The observed range over every channel; none for fixed qparams or an
  /// observer that has not seen data.
  std::optional<float> ObservedMin, ObservedMax;
  /// The fake quant's output against the float graph's value.
  ErrorStats Error;
  /// SQNR under the report's threshold.
  bool Flagged = false;
};

/// The whole report.
struct QuantReport {
  std::vector<FakeQuantReport> FakeQuants;
  /// Each graph output of the fake-quant graph against the float graph.
  std::vector<std::pair<std::string, ErrorStats>> Outputs;
  int64_t Samples = 0;
  double ThresholdDb = 20;
  /// How many fake quants are flagged.
  int64_t numFlagged() const;
};

/// How the report runs.
struct QuantReportOptions {
  /// Fake quants whose SQNR is below this many dB are flagged.
  double ThresholdDb = 20;
  /// Samples per forward pass; a graph input with a static first dimension
  /// sets it instead.
  int64_t BatchSize = 32;
};

/// Measures G (a prepared graph with parameter data; not changed) on Inputs,
/// one f32 tensor per placeholder in graph order with samples along the first
/// axis. A graph without fake_quantize nodes is an error that says the report
/// needs a prepared graph.
llvm::Expected<QuantReport> computeQuantReport(const Graph &G, llvm::ArrayRef<runtime::Tensor> Inputs,
                                               const QuantReportOptions &Opts = {});

} // namespace qatc

#endif // QATC_PASSES_QUANT_QUANTREPORT_H
