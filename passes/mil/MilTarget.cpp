//===- MilTarget.cpp - Core ML deployment targets and their versions ------===//
#include "passes/mil/MilTarget.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

namespace qatc {
namespace mil {

llvm::StringRef targetName(MilTarget T) {
  switch (T) {
  case MilTarget::IOS16:
    return "ios16";
  case MilTarget::IOS17:
    return "ios17";
  case MilTarget::IOS18:
    return "ios18";
  }
  return "ios17";
}

llvm::Expected<MilTarget> parseTarget(llvm::StringRef Name) {
  std::string Lower = Name.lower();
  for (MilTarget T : {MilTarget::IOS16, MilTarget::IOS17, MilTarget::IOS18})
    if (Lower == targetName(T))
      return T;
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      llvm::formatv("unknown Core ML target '{0}'; use ios16, ios17 or ios18", Name));
}

int specificationVersion(MilTarget T) {
  switch (T) {
  case MilTarget::IOS16:
    return 7;
  case MilTarget::IOS17:
    return 8;
  case MilTarget::IOS18:
    return 9;
  }
  return 8;
}

llvm::StringRef opsetName(MilTarget T) {
  switch (T) {
  case MilTarget::IOS16:
    return "CoreML6";
  case MilTarget::IOS17:
    return "CoreML7";
  case MilTarget::IOS18:
    return "CoreML8";
  }
  return "CoreML7";
}

llvm::Expected<MilTarget> targetForVersion(int V, llvm::StringRef Opset) {
  for (MilTarget T : {MilTarget::IOS16, MilTarget::IOS17, MilTarget::IOS18})
    if (specificationVersion(T) == V && opsetName(T) == Opset)
      return T;
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      llvm::formatv("specification version {0} with opset \"{1}\" is not a supported pair "
                    "(7/CoreML6, 8/CoreML7 or 9/CoreML8); write the model for iOS16, iOS17 or "
                    "iOS18",
                    V, Opset));
}

} // namespace mil
} // namespace qatc
