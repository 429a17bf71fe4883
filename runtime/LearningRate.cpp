//===- LearningRate.cpp - Learning-rate schedules per step ----------------===//

#include "runtime/LearningRate.h"

#include <algorithm>
#include <cmath>

using namespace qatc;
using namespace qatc::runtime;

llvm::Expected<ScheduleKind> runtime::parseScheduleKind(llvm::StringRef Name) {
  if (Name == "constant")
    return ScheduleKind::Constant;
  if (Name == "step")
    return ScheduleKind::Step;
  if (Name == "cosine")
    return ScheduleKind::Cosine;
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "unknown learning-rate schedule '" + Name +
                                     "'; use constant, step or cosine");
}

double LearningRateSchedule::at(int64_t Step) const {
  switch (Kind) {
  case ScheduleKind::Constant:
    return Base;
  case ScheduleKind::Step:
    return Base * std::pow(Gamma, double(Step / std::max<int64_t>(1, StepSize)));
  case ScheduleKind::Cosine: {
    const double Pi = 3.14159265358979323846;
    double T = std::min<double>(Step, TotalSteps) / std::max<int64_t>(1, TotalSteps);
    return Base * 0.5 * (1 + std::cos(Pi * T));
  }
  }
  return Base;
}
