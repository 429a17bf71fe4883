//===- ProgressDisplay.h - Training progress on the terminal ----*- C++ -*-===//
//
// A live bar redrawn in place when stderr is a terminal (step, epoch, loss,
// accuracy, samples/s, ETA), plain periodic lines otherwise (CI logs, pipes).
//
//===----------------------------------------------------------------------===//

#ifndef QATC_TOOLS_QATC_PROGRESSDISPLAY_H
#define QATC_TOOLS_QATC_PROGRESSDISPLAY_H

#include "runtime/Trainer.h"

#include "llvm/Support/raw_ostream.h"

#include <chrono>

namespace qatc {

/// Shows runtime::StepReport updates on a stream.
class ProgressDisplay {
public:
  /// Live redraws when OS is a terminal; otherwise about Lines plain lines
  /// over the run.
  explicit ProgressDisplay(llvm::raw_ostream &OS, int Lines = 10);
  void update(const runtime::StepReport &R);
  /// Ends the live line.
  void finish();

private:
  llvm::raw_ostream &OS;
  bool Live;
  int Lines;
  bool Drawn = false;
  std::chrono::steady_clock::time_point LastDraw;
};

/// "1:05" or "1:02:03".
std::string formatDuration(double Seconds);

} // namespace qatc

#endif // QATC_TOOLS_QATC_PROGRESSDISPLAY_H
