//===- KeepEndsFloat.cpp - Example plugin: first and last layers stay float -===//
//
// A prepare hook that keeps the first and the last weighted layer (conv,
// linear: the ops whose quantization role is "weighted") in float, the usual
// remedy when quantizing the stem or the classifier costs accuracy. Written
// against the C++ wrapper; the tests build it with gcc and with clang++-16.
//
//===----------------------------------------------------------------------===//
#include "qatc_plugin.hpp"

namespace {

void keepEndsFloat(qatc_plugin::Graph &G) {
  qatc_plugin::Node First, Last;
  for (qatc_plugin::Node N : G) {
    if (N.quantRole() != QATC_ROLE_WEIGHTED)
      continue;
    if (!First)
      First = N;
    Last = N;
  }
  if (First)
    First.keepFloat();
  if (Last)
    Last.keepFloat();
}

} // namespace

QATC_DEFINE_PLUGIN("keep-ends-float", "1.0", [](qatc_plugin::Registrar &R) {
  R.addPrepareHook("keep-ends-float", keepEndsFloat);
})
