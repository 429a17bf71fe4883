//===- DemoBundle.h - The example `qatc demo` carries inside the binary -*- C++ -*-===//
//
// A float digits CNN trained with PyTorch (digits.onnx) and scikit-learn's
// digits data split 80/20 (digits_train.npz, digits_test.npz), made by
// tools/fixtures/make_demo_bundle.py and compiled into qatc, so that the
// demo needs no Python and no files beside the binary.
//
//===----------------------------------------------------------------------===//

#ifndef QATC_TOOLS_QATC_DEMOBUNDLE_H
#define QATC_TOOLS_QATC_DEMOBUNDLE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

namespace qatc {

/// One file of the bundled example.
struct BundledFile {
  const char *Name;
  llvm::ArrayRef<unsigned char> Bytes;
};

/// The bundled files: digits.onnx, digits_train.npz, digits_test.npz.
llvm::ArrayRef<BundledFile> demoBundle();

/// Writes every bundled file into the existing directory Dir.
llvm::Error writeDemoBundle(llvm::StringRef Dir);

} // namespace qatc

#endif // QATC_TOOLS_QATC_DEMOBUNDLE_H
