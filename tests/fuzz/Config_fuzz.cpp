//===- Config_fuzz.cpp - libFuzzer target for the quantization config reader ===//
//
// Reads the same bytes as a JSON and as a YAML LinearQuantizerConfig. The
// reader must never crash, hang or leak; a config it accepts must pass
// validateConfig (the reader promises validated configs), equal its copy and
// have an effective global config.
//
//===----------------------------------------------------------------------===//
#include "passes/quant/ConfigReader.h"
#include "passes/quant/QuantizationConfig.h"
#include "tools/fuzz/GraphChecks.h"

static void readAs(llvm::StringRef Text, qatc::ConfigFormat Format, const char *Origin) {
  auto Config = qatc::readConfigString(Text, Format, "fuzz-config");
  if (!Config) {
    llvm::consumeError(Config.takeError());
    return;
  }
  if (llvm::Error E = qatc::validateConfig(*Config))
    qatc::fuzz::fail(Origin, "an accepted config does not validate: " + llvm::toString(std::move(E)));
  qatc::LinearQuantizerConfig Copy = *Config;
  if (!(Copy == *Config))
    qatc::fuzz::fail(Origin, "a config differs from its copy");
  (void)Config->effectiveGlobal();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  llvm::StringRef Text(reinterpret_cast<const char *>(Data), Size);
  readAs(Text, qatc::ConfigFormat::JSON, "config reader (JSON)");
  readAs(Text, qatc::ConfigFormat::YAML, "config reader (YAML)");
  return 0;
}
