//===- Parameter.cpp - Named tensors owned by a graph ---------------------===//
#include "ir/Parameter.h"

#include <cassert>

namespace qatc {

llvm::MutableArrayRef<uint8_t> Parameter::mutableBytes() {
  if (!Data)
    return {};
  if (Data.use_count() > 1)
    Data = std::make_shared<std::vector<uint8_t>>(*Data);
  return *Data;
}

void Parameter::setData(std::vector<uint8_t> Bytes) {
  assert(Bytes.size() == byteSize() && "parameter data size does not match its type");
  Data = std::make_shared<std::vector<uint8_t>>(std::move(Bytes));
}

size_t Parameter::byteSize() const {
  auto N = Ty.numElements();
  return N ? size_t(*N) * dtypeSize(Ty.dtype()) : 0;
}

} // namespace qatc
