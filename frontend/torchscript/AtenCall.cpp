//===- AtenCall.cpp - One TorchScript node during import ------------------===//
#include "frontend/torchscript/AtenCall.h"

namespace qatc {

char AtenError::ID = 0;

const ScriptValue &AtenCall::arg(unsigned I) const {
  static const ScriptValue None;
  return I < Args.size() ? Args[I] : None;
}

void AtenCall::record(AtenError::Reason R, const llvm::Twine &Message) {
  if (!Problem)
    Problem.emplace(R, Message.str());
}

void AtenCall::unsupported(const llvm::Twine &Form) {
  record(AtenError::Reason::Unsupported, Form);
}

void AtenCall::needShapes(const llvm::Twine &Why) {
  record(AtenError::Reason::NeedsStaticShapes, Why);
}

void AtenCall::fail(const llvm::Twine &Message) { record(AtenError::Reason::Invalid, Message); }

llvm::Error AtenCall::takeError() {
  if (!Problem)
    return llvm::Error::success();
  auto [R, Message] = std::move(*Problem);
  Problem.reset();
  return llvm::make_error<AtenError>(R, std::move(Message));
}

void AtenCall::wrongKind(unsigned I, llvm::StringRef Expected) {
  const ScriptValue &V = arg(I);
  if (V.kind() == ScriptValue::Kind::Unknown)
    needShapes(V.getString());
  else if (V.kind() == ScriptValue::Kind::Opaque)
    unsupported("with a " + V.getString() + " argument");
  else
    fail("argument " + llvm::Twine(I) + " must be " + Expected + ", not " + V.describe());
}

Node *AtenCall::tensor(unsigned I) {
  const ScriptValue &V = arg(I);
  if (failed())
    return nullptr;
  if (V.kind() == ScriptValue::Kind::Tensor)
    return V.getTensor();
  if (V.kind() == ScriptValue::Kind::Constant)
    return E.read(V.getConstant());
  wrongKind(I, "a tensor");
  return nullptr;
}

std::vector<Node *> AtenCall::tensors(unsigned I) {
  const ScriptValue &V = arg(I);
  if (V.kind() != ScriptValue::Kind::List) {
    wrongKind(I, "a list of tensors");
    return {};
  }
  std::vector<Node *> R;
  for (const ScriptValue &Element : V.getList()) {
    if (Element.kind() == ScriptValue::Kind::Tensor)
      R.push_back(Element.getTensor());
    else if (Element.kind() == ScriptValue::Kind::Constant && !failed())
      R.push_back(E.read(Element.getConstant()));
    else
      fail("argument " + llvm::Twine(I) + " must be a list of tensors, but it holds " +
           Element.describe());
  }
  return R;
}

Node *AtenCall::optionalTensor(unsigned I) { return arg(I).isNone() ? nullptr : tensor(I); }

Node *AtenCall::operand(unsigned I, DType T) {
  const ScriptValue &V = arg(I);
  if (!V.isNumber() || failed())
    return tensor(I);
  return E.scalar(V.getFloat(), T);
}

int64_t AtenCall::integer(unsigned I) {
  const ScriptValue &V = arg(I);
  if (V.kind() == ScriptValue::Kind::Int || V.kind() == ScriptValue::Kind::Bool)
    return V.getInt();
  wrongKind(I, "an int");
  return 0;
}

double AtenCall::real(unsigned I) {
  const ScriptValue &V = arg(I);
  if (V.isNumber())
    return V.getFloat();
  wrongKind(I, "a number");
  return 0;
}

bool AtenCall::boolean(unsigned I) {
  const ScriptValue &V = arg(I);
  if (V.kind() == ScriptValue::Kind::Bool || V.kind() == ScriptValue::Kind::Int)
    return V.getBool();
  wrongKind(I, "a bool");
  return false;
}

std::string AtenCall::string(unsigned I) {
  const ScriptValue &V = arg(I);
  if (V.kind() == ScriptValue::Kind::String)
    return V.getString();
  wrongKind(I, "a string");
  return "";
}

std::vector<int64_t> AtenCall::ints(unsigned I, unsigned Size) {
  const ScriptValue &V = arg(I);
  std::vector<int64_t> R;
  if (V.kind() == ScriptValue::Kind::Int && Size > 0)
    return std::vector<int64_t>(Size, V.getInt());
  if (V.kind() != ScriptValue::Kind::List) {
    wrongKind(I, "a list of ints");
    return {};
  }
  for (const ScriptValue &Element : V.getList()) {
    if (Element.kind() == ScriptValue::Kind::Unknown) {
      needShapes(Element.getString());
      return {};
    }
    if (Element.kind() != ScriptValue::Kind::Int) {
      fail("argument " + llvm::Twine(I) + " must be a list of ints, but it holds " +
           Element.describe());
      return {};
    }
    R.push_back(Element.getInt());
  }
  if (Size > 1 && R.size() == 1)
    R.assign(Size, R[0]);
  if (Size > 0 && R.size() != Size) {
    fail("argument " + llvm::Twine(I) + " must have " + llvm::Twine(Size) + " ints, not " +
         llvm::Twine(R.size()));
    return {};
  }
  return R;
}

unsigned AtenCall::rank(Node *X) {
  if (!X || failed())
    return 0;
  if (!X->type().hasRank()) {
    needShapes("the rank of its input " + X->type().str() + " is not known");
    return 0;
  }
  return X->type().rank();
}

int64_t AtenCall::normalizedDim(Node *X, int64_t Dim) {
  int64_t R = rank(X);
  if (failed())
    return 0;
  if (Dim < -R || Dim >= R) {
    fail("dim " + llvm::Twine(Dim) + " is out of range for its input " + X->type().str());
    return 0;
  }
  return Dim < 0 ? Dim + R : Dim;
}

int64_t AtenCall::dimSize(Node *X, int64_t Dim) {
  int64_t D = normalizedDim(X, Dim);
  if (failed())
    return 0;
  int64_t Size = X->type().dim(D);
  if (Size == kDynamicDim)
    needShapes("dim " + llvm::Twine(D) + " of its input " + X->type().str() + " is dynamic");
  return Size == kDynamicDim ? 0 : Size;
}

Node *AtenCall::emit(llvm::StringRef Op, llvm::ArrayRef<Node *> Operands,
                     llvm::ArrayRef<NamedAttribute> Attrs) {
  if (failed())
    return nullptr;
  auto N = E.call(Op, Operands, Attrs);
  if (!N) {
    fail(llvm::toString(N.takeError()));
    return nullptr;
  }
  return *N;
}

} // namespace qatc
