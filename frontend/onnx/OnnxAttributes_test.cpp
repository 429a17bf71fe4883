//===- OnnxAttributes_test.cpp - Reading ONNX attributes and floats -------===//
#include "frontend/onnx/OnnxAttributes.h"

#include "tests/support/TestHelpers.h"

#include <catch2/catch.hpp>

using namespace qatc;

TEST_CASE("onnx floats become the double of their shortest decimal", "[onnx][attrs]") {
  CHECK(shortestDouble(1e-5f) == 1e-5);
  CHECK(shortestDouble(0.001f) == 0.001);
  CHECK(shortestDouble(0.2f) == 0.2);
  CHECK(shortestDouble(6.0f) == 6.0);
  CHECK(shortestDouble(float(1.0 / 6.0)) == 0.16666667);
  CHECK(shortestDouble(-0.0f) == 0.0);
  CHECK(std::signbit(shortestDouble(-0.0f)));
  CHECK(std::isinf(shortestDouble(-INFINITY)));
}

TEST_CASE("onnx batch-norm momentum becomes PyTorch's exactly", "[onnx][attrs]") {
  CHECK(oneMinusShortest(0.9f) == 0.1);
  CHECK(oneMinusShortest(0.99f) == 0.01);
  CHECK(oneMinusShortest(0.997f) == 0.003);
  CHECK(oneMinusShortest(0.0f) == 1.0);
  CHECK(oneMinusShortest(1.0f) == 0.0);
  CHECK(oneMinusShortest(0.1f) == 0.9);
}

TEST_CASE("onnx attributes by name and kind", "[onnx][attrs]") {
  onnx::NodeProto N;
  onnx::AttributeProto *A = N.add_attribute();
  A->set_name("axis");
  A->set_type(onnx::AttributeProto::INT);
  A->set_i(3);
  onnx::AttributeProto *Old = N.add_attribute();
  Old->set_name("alpha"); // no declared type, as old exporters wrote it
  Old->set_f(0.5f);
  OnnxAttributes Attrs(N);
  CHECK(Attrs.getInt("axis", 0) == 3);
  CHECK(Attrs.getInt("missing", 7) == 7);
  CHECK(Attrs.getFloat("alpha", 1.0f) == 0.5);
  CHECK(Attrs.getInts("missing", {1, 2}) == std::vector<int64_t>{1, 2});
  CHECK_OK(Attrs.takeError());
  CHECK(Attrs.getFloat("axis", 2.0f) == 2.0);
  CHECK(Attrs.getString("axis", "") == "");
  CHECK(testing::errorText(Attrs.takeError()) == "attribute 'axis' must be a float, not an int");
}
