//===- MilPrinter.cpp - A readable text dump of an ML Program -------------===//
#include "passes/mil/MilPrinter.h"

#include "passes/mil/MilTensor.h"

#include "llvm/Support/Format.h"

#include <algorithm>
#include <map>

namespace qatc {
namespace mil {

namespace Spec = CoreML::Specification::MILSpec;
namespace CML = CoreML::Specification;

namespace {

/// Values past this many elements are abbreviated.
constexpr int kShownElements = 8;

void printType(const Spec::ValueType &T, llvm::raw_ostream &OS) {
  if (T.has_tensortype()) {
    const Spec::TensorType &TT = T.tensortype();
    OS << dtypeSpelling(TT.datatype());
    if (TT.rank() == 0)
      return;
    OS << "[";
    for (int I = 0; I < TT.dimensions_size(); ++I) {
      if (I)
        OS << ", ";
      const Spec::Dimension &D = TT.dimensions(I);
      if (D.has_constant())
        OS << D.constant().size();
      else
        OS << "?";
    }
    OS << "]";
    return;
  }
  if (T.has_tupletype()) {
    OS << "(";
    for (int I = 0; I < T.tupletype().types_size(); ++I) {
      if (I)
        OS << ", ";
      printType(T.tupletype().types(I), OS);
    }
    OS << ")";
    return;
  }
  OS << "<non-tensor>";
}

template <typename Range, typename Fn> void printList(const Range &R, Fn &&Each,
                                                      llvm::raw_ostream &OS, bool Scalar) {
  int N = int(R.size());
  if (Scalar && N == 1) {
    Each(R[0]);
    return;
  }
  OS << "[";
  for (int I = 0; I < N && I < kShownElements; ++I) {
    if (I)
      OS << ", ";
    Each(R[I]);
  }
  if (N > kShownElements)
    OS << ", ... " << N << " values";
  OS << "]";
}

void printValue(const Spec::Value &V, llvm::raw_ostream &OS) {
  printType(V.type(), OS);
  OS << " ";
  if (V.has_blobfilevalue()) {
    OS << "blob(" << V.blobfilevalue().offset() << ")";
    return;
  }
  if (!V.has_immediatevalue() || !V.immediatevalue().has_tensor()) {
    OS << "<non-tensor value>";
    return;
  }
  bool Scalar = V.type().has_tensortype() && V.type().tensortype().rank() == 0;
  const Spec::TensorValue &T = V.immediatevalue().tensor();
  if (T.has_floats()) {
    std::vector<float> F(T.floats().values().begin(), T.floats().values().end());
    printList(F, [&](float X) { OS << llvm::format("%.9g", X); }, OS, Scalar);
  } else if (T.has_ints()) {
    std::vector<int64_t> I(T.ints().values().begin(), T.ints().values().end());
    printList(I, [&](int64_t X) { OS << X; }, OS, Scalar);
  } else if (T.has_longints()) {
    std::vector<int64_t> I(T.longints().values().begin(), T.longints().values().end());
    printList(I, [&](int64_t X) { OS << X; }, OS, Scalar);
  } else if (T.has_bools()) {
    std::vector<bool> B(T.bools().values().begin(), T.bools().values().end());
    printList(B, [&](bool X) { OS << (X ? "true" : "false"); }, OS, Scalar);
  } else if (T.has_strings()) {
    std::vector<std::string> S(T.strings().values().begin(), T.strings().values().end());
    printList(S, [&](const std::string &X) { OS << '"' << X << '"'; }, OS, Scalar);
  } else if (T.has_doubles()) {
    std::vector<double> D(T.doubles().values().begin(), T.doubles().values().end());
    printList(D, [&](double X) { OS << llvm::format("%.17g", X); }, OS, Scalar);
  } else if (T.has_bytes()) {
    // Decode byte-encoded types through MilTensor for readable numbers.
    MilTensor M;
    M.DType = V.type().tensortype().datatype();
    for (const Spec::Dimension &D : V.type().tensortype().dimensions())
      M.Shape.push_back(int64_t(D.constant().size()));
    const std::string &B = T.bytes().values();
    M.Bytes.assign(B.begin(), B.end());
    if (M.byteSize() != M.Bytes.size()) {
      OS << "<" << B.size() << " bytes>";
    } else if (M.DType == Spec::FLOAT16) {
      std::vector<float> F = M.floatValues();
      printList(F, [&](float X) { OS << llvm::format("%.9g", X); }, OS, Scalar);
    } else {
      std::vector<int64_t> I = M.intValues();
      printList(I, [&](int64_t X) { OS << X; }, OS, Scalar);
    }
  } else {
    OS << "<empty>";
  }
}

template <typename Map> std::vector<std::string> sortedKeys(const Map &M) {
  std::vector<std::string> Keys;
  for (const auto &KV : M)
    Keys.push_back(KV.first);
  std::sort(Keys.begin(), Keys.end());
  return Keys;
}

void printOperation(const Spec::Operation &Op, llvm::raw_ostream &OS) {
  OS << "  ";
  for (int I = 0; I < Op.outputs_size(); ++I) {
    if (I)
      OS << ", ";
    OS << Op.outputs(I).name() << ": ";
    printType(Op.outputs(I).type(), OS);
  }
  OS << " = " << Op.type() << "(";
  bool First = true;
  for (const std::string &K : sortedKeys(Op.inputs())) {
    OS << (First ? "" : ", ") << K << " = ";
    First = false;
    const Spec::Argument &A = Op.inputs().at(K);
    if (A.arguments_size() != 1)
      OS << "(";
    for (int I = 0; I < A.arguments_size(); ++I) {
      if (I)
        OS << ", ";
      const Spec::Argument::Binding &B = A.arguments(I);
      if (B.has_value()) {
        OS << "{";
        printValue(B.value(), OS);
        OS << "}";
      } else {
        OS << B.name();
      }
    }
    if (A.arguments_size() != 1)
      OS << ")";
  }
  OS << ")";
  std::string OutName = Op.outputs_size() ? Op.outputs(0).name() : "";
  First = true;
  for (const std::string &K : sortedKeys(Op.attributes())) {
    const Spec::Value &V = Op.attributes().at(K);
    if (K == "name" && V.has_immediatevalue() && V.immediatevalue().tensor().has_strings() &&
        V.immediatevalue().tensor().strings().values_size() == 1 &&
        V.immediatevalue().tensor().strings().values(0) == OutName)
      continue;
    OS << (First ? " [" : ", ") << K << " = ";
    First = false;
    printValue(V, OS);
  }
  if (!First)
    OS << "]";
  OS << "\n";
}

void printFeature(llvm::StringRef Role, const CML::FeatureDescription &F,
                  llvm::raw_ostream &OS) {
  OS << Role << " " << F.name() << ": ";
  if (!F.type().has_multiarraytype()) {
    OS << "<not a MultiArray>\n";
    return;
  }
  const CML::ArrayFeatureType &A = F.type().multiarraytype();
  OS << CML::ArrayFeatureType::ArrayDataType_Name(A.datatype()) << " [";
  for (int I = 0; I < A.shape_size(); ++I)
    OS << (I ? ", " : "") << A.shape(I);
  OS << "]";
  if (A.has_shaperange()) {
    OS << " range [";
    for (int I = 0; I < A.shaperange().sizeranges_size(); ++I) {
      const CML::SizeRange &R = A.shaperange().sizeranges(I);
      OS << (I ? ", " : "") << R.lowerbound() << ".." << R.upperbound();
    }
    OS << "]";
  }
  OS << "\n";
}

} // namespace

void printMilModel(const CML::Model &M, llvm::raw_ostream &OS) {
  OS << "specificationVersion " << M.specificationversion() << "\n";
  for (const CML::FeatureDescription &F : M.description().input())
    printFeature("input", F, OS);
  for (const CML::FeatureDescription &F : M.description().output())
    printFeature("output", F, OS);
  if (!M.has_mlprogram()) {
    OS << "<no mlProgram>\n";
    return;
  }
  const Spec::Program &P = M.mlprogram();
  OS << "program version " << P.version() << "\n";
  for (const std::string &FName : sortedKeys(P.functions())) {
    const Spec::Function &F = P.functions().at(FName);
    OS << "func " << FName << "<" << F.opset() << ">(";
    for (int I = 0; I < F.inputs_size(); ++I) {
      OS << (I ? ", " : "") << F.inputs(I).name() << ": ";
      printType(F.inputs(I).type(), OS);
    }
    OS << ") {\n";
    for (const std::string &Key : sortedKeys(F.block_specializations())) {
      const Spec::Block &B = F.block_specializations().at(Key);
      if (Key != F.opset())
        OS << " specialization " << Key << ":\n";
      for (const Spec::Operation &Op : B.operations())
        printOperation(Op, OS);
      OS << "} -> (";
      for (int I = 0; I < B.outputs_size(); ++I)
        OS << (I ? ", " : "") << B.outputs(I);
      OS << ")\n";
    }
  }
}

std::string printMilModelToString(const CML::Model &M) {
  std::string S;
  llvm::raw_string_ostream OS(S);
  printMilModel(M, OS);
  return OS.str();
}

} // namespace mil
} // namespace qatc
