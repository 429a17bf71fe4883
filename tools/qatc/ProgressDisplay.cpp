//===- ProgressDisplay.cpp - Training progress on the terminal ------------===//

#include "tools/qatc/ProgressDisplay.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>

using namespace qatc;

std::string qatc::formatDuration(double Seconds) {
  int64_t S = int64_t(Seconds + 0.5);
  if (S >= 3600)
    return llvm::formatv("{0}:{1:2}:{2:2}", S / 3600, (S / 60) % 60, S % 60);
  return llvm::formatv("{0}:{1:2}", S / 60, S % 60);
}

ProgressDisplay::ProgressDisplay(llvm::raw_ostream &OS, int Lines)
    : OS(OS), Live(OS.is_displayed()), Lines(std::max(1, Lines)) {}

void ProgressDisplay::update(const runtime::StepReport &R) {
  bool Last = R.Step == R.TotalSteps;
  double Remaining = R.ElapsedSeconds / std::max<int64_t>(1, R.Step) * (R.TotalSteps - R.Step);
  std::string Accuracy =
      R.EpochAccuracy ? llvm::formatv("  acc {0:F1}%", *R.EpochAccuracy * 100).str() : "";
  std::string Stats = llvm::formatv("epoch {0}/{1}  loss {2:F4}{3}  {4:F0} samples/s", R.Epoch,
                                    R.Epochs, R.EpochLoss, Accuracy, R.SamplesPerSecond);
  if (Live) {
    auto Now = std::chrono::steady_clock::now();
    if (!Last && Drawn && Now - LastDraw < std::chrono::milliseconds(100))
      return;
    LastDraw = Now;
    Drawn = true;
    constexpr int Width = 24;
    int Filled = int(Width * R.Step / std::max<int64_t>(1, R.TotalSteps));
    std::string Bar(Filled, '=');
    if (Filled < Width)
      Bar += '>';
    Bar.resize(Width, ' ');
    OS << llvm::formatv("\r\x1b[Kstep {0}/{1} [{2}] {3}  ETA {4}", R.Step, R.TotalSteps, Bar,
                        Stats, formatDuration(Remaining));
    OS.flush();
    return;
  }
  int64_t Every = std::max<int64_t>(1, R.TotalSteps / Lines);
  if (R.Step % Every != 0 && !Last && R.Step != 1)
    return;
  OS << llvm::formatv("step {0}/{1}  {2}  elapsed {3}  ETA {4}\n", R.Step, R.TotalSteps, Stats,
                      formatDuration(R.ElapsedSeconds), formatDuration(Remaining));
  OS.flush();
}

void ProgressDisplay::finish() {
  if (Live && Drawn)
    OS << "\n";
  Drawn = false;
}
