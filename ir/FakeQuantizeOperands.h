//===- FakeQuantizeOperands.h - The operand positions of fake_quantize -*- C++ -*-===//
//
// fake_quantize(input, scale, zero_point[, observer_enabled,
// fake_quant_enabled, min_val, max_val]) (ir/Ops.def, docs/prepare.md): the
// kernels, finalize and reports address its operands by these positions.
//
//===----------------------------------------------------------------------===//

#ifndef QATC_IR_FAKEQUANTIZEOPERANDS_H
#define QATC_IR_FAKEQUANTIZEOPERANDS_H

namespace qatc {
namespace fake_quantize_operand {

/// Operand positions; the last four exist only on observed fake quants.
enum : unsigned {
  Input = 0,
  Scale = 1,
  ZeroPoint = 2,
  ObserverEnabled = 3,
  FakeQuantEnabled = 4,
  MinVal = 5,
  MaxVal = 6,
};

} // namespace fake_quantize_operand
} // namespace qatc

#endif // QATC_IR_FAKEQUANTIZEOPERANDS_H
