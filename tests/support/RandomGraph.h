//===- RandomGraph.h - Seeded random QIR graphs for property tests -*- C++ -*-===//
//
// Builds valid, verifiable graphs from a seed: random ops with random
// attributes (including NaN, infinities and odd strings), awkward node names,
// locations, dynamic dimensions, tuples and parameters with random bytes.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_TESTS_SUPPORT_RANDOMGRAPH_H
#define QATC_TESTS_SUPPORT_RANDOMGRAPH_H

#include "ir/Graph.h"

#include <cstdint>
#include <memory>

namespace qatc {
namespace testing {

/// A random valid graph with about NumNodes call nodes.
std::unique_ptr<Graph> makeRandomGraph(uint64_t Seed, unsigned NumNodes);

} // namespace testing
} // namespace qatc

#endif // QATC_TESTS_SUPPORT_RANDOMGRAPH_H
