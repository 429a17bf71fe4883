//===- LeakSuppressions.cpp - LeakSanitizer suppressions for libtorch -----===//
//
// Debian's libtorch 1.13 leaks a few hundred bytes inside libtorch_cpu
// (its zip reader's state) when torch::jit::load rejects a corrupt archive;
// it is not instrumented and the leak is not ours. LeakSanitizer asks the
// program for default suppressions through this hook, so every binary that
// links the TorchScript importer (the --config=asan tests and
// //tests/fuzz:torchscript_fuzz_test) ignores leaks whose stack passes through
// libtorch_cpu, and only those. Outside sanitized builds nothing calls them.
// The default options keep LeakSanitizer from listing the suppressions it
// used on stderr at exit, which qatc would otherwise show as part of the
// qatc-torchscript helper's error message.
//
//===----------------------------------------------------------------------===//

extern "C" const char *__lsan_default_suppressions() { return "leak:libtorch_cpu.so\n"; }

extern "C" const char *__lsan_default_options() { return "print_suppressions=0"; }
