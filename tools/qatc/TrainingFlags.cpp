//===- TrainingFlags.cpp - Training options shared by train and compile ---===//
#include "tools/qatc/TrainingFlags.h"
#include "tools/qatc/CommandSupport.h"

namespace qatc {

namespace cl = llvm::cl;
using namespace runtime;

namespace {

/// Registers an option under both training subcommands.
struct BothCommands {
  template <class Opt> void apply(Opt &O) const {
    O.addSubCommand(trainSubCommand());
    O.addSubCommand(compileSubCommand());
  }
};
const BothCommands Both;

cl::opt<std::string> LossName("loss", cl::desc("cross_entropy (default) or mse"),
                              cl::init("cross_entropy"), Both, cl::cat(qatcCategory()));
cl::opt<std::string> OptimizerName("optimizer", cl::desc("sgd (default), adam or adamw"),
                                   cl::init("sgd"), Both, cl::cat(qatcCategory()));
cl::opt<double> LearningRate("lr", cl::desc("Learning rate (default 0.01)"), cl::init(0.01),
                             Both, cl::cat(qatcCategory()));
cl::opt<double> Momentum("momentum", cl::desc("SGD momentum (default 0)"), cl::init(0), Both,
                         cl::cat(qatcCategory()));
cl::opt<bool> Nesterov("nesterov", cl::desc("Nesterov momentum (SGD)"), Both,
                       cl::cat(qatcCategory()));
cl::opt<double> WeightDecay("weight-decay", cl::desc("Weight decay (default 0)"), cl::init(0),
                            Both, cl::cat(qatcCategory()));
cl::opt<std::string> ScheduleName("lr-schedule", cl::desc("constant (default), step or cosine"),
                                  cl::init("constant"), Both, cl::cat(qatcCategory()));
cl::opt<int64_t> StepSize("lr-step-size",
                          cl::desc("Steps between decays of the step schedule "
                                   "(default: a third of the run)"),
                          cl::init(0), Both, cl::cat(qatcCategory()));
cl::opt<double> Gamma("lr-gamma", cl::desc("Decay factor of the step schedule (0.1)"),
                      cl::init(0.1), Both, cl::cat(qatcCategory()));
cl::opt<int64_t> BatchSize("batch-size", cl::desc("Samples per step (default 32)"), cl::init(32),
                           Both, cl::cat(qatcCategory()));
cl::opt<int64_t> Epochs("epochs", cl::desc("Passes over the data (default 1)"), cl::init(1),
                        Both, cl::cat(qatcCategory()));
cl::opt<int64_t> Steps("steps", cl::desc("Run length in steps (overrides --epochs)"),
                       cl::init(0), Both, cl::cat(qatcCategory()));
cl::opt<uint64_t> Seed("seed", cl::desc("Seed of shuffling and dropout (default 0)"),
                       cl::init(0), Both, cl::cat(qatcCategory()));

llvm::Error usageError(const llvm::Twine &Message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Message);
}

} // namespace

llvm::Expected<TrainOptions> trainOptionsFromFlags() {
  if (LearningRate <= 0)
    return usageError("--lr must be positive");
  if (BatchSize < 1 || Epochs < 1 || Steps < 0 || StepSize < 0)
    return usageError("--batch-size and --epochs must be at least 1 and --steps and "
                      "--lr-step-size not negative");
  if (Momentum < 0 || WeightDecay < 0)
    return usageError("--momentum and --weight-decay must not be negative");
  if (Nesterov && Momentum <= 0)
    return usageError("--nesterov needs a positive --momentum");
  auto Loss = parseLossKind(LossName);
  if (!Loss)
    return Loss.takeError();
  auto Kind = parseOptimizerKind(OptimizerName);
  if (!Kind)
    return Kind.takeError();
  auto Schedule = parseScheduleKind(ScheduleName);
  if (!Schedule)
    return Schedule.takeError();
  TrainOptions Opts;
  Opts.Loss = *Loss;
  Opts.Optimizer.Kind = *Kind;
  Opts.Optimizer.Momentum = Momentum;
  Opts.Optimizer.Nesterov = Nesterov;
  Opts.Optimizer.WeightDecay = WeightDecay;
  Opts.Schedule.Kind = *Schedule;
  Opts.Schedule.Base = LearningRate;
  Opts.Schedule.Gamma = Gamma;
  Opts.Schedule.StepSize = StepSize; // 0: a third of the run
  Opts.BatchSize = BatchSize;
  Opts.Epochs = Epochs;
  Opts.Steps = Steps;
  Opts.Seed = Seed;
  return Opts;
}

} // namespace qatc
