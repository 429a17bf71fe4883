//===- Pipeline.cpp - Textual pass pipelines ------------------------------===//
#include "passes/Pipeline.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

namespace qatc {

namespace {

class PipelineParser {
public:
  explicit PipelineParser(llvm::StringRef Text) : Text(Text) {}

  llvm::Expected<std::vector<PipelineElement>> parse() {
    std::vector<PipelineElement> Result;
    skipSpace();
    if (Pos == Text.size())
      return Result;
    while (true) {
      PipelineElement E;
      if (auto Err = parseElement(E))
        return Err;
      Result.push_back(std::move(E));
      skipSpace();
      if (Pos == Text.size())
        return Result;
      if (Text[Pos] != ',')
        return fail("expected ',' between passes");
      ++Pos;
      skipSpace();
    }
  }

private:
  llvm::Error fail(const llvm::Twine &Msg) {
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        llvm::formatv("invalid pass pipeline '{0}' at column {1}: {2}", Text, Pos + 1, Msg.str())
            .str());
  }

  void skipSpace() {
    while (Pos < Text.size() && llvm::isSpace(Text[Pos]))
      ++Pos;
  }

  static bool isNameChar(char C) { return llvm::isAlnum(C) || C == '-' || C == '_' || C == '.'; }

  llvm::StringRef takeName() {
    size_t Start = Pos;
    while (Pos < Text.size() && isNameChar(Text[Pos]))
      ++Pos;
    return Text.slice(Start, Pos);
  }

  llvm::Error parseValue(std::string &Out) {
    if (Pos < Text.size() && Text[Pos] == '"') {
      ++Pos;
      while (Pos < Text.size() && Text[Pos] != '"') {
        if (Text[Pos] == '\\' && Pos + 1 < Text.size())
          ++Pos;
        Out.push_back(Text[Pos++]);
      }
      if (Pos == Text.size())
        return fail("unterminated quoted value");
      ++Pos;
      return llvm::Error::success();
    }
    // Unquoted values stop at white space and at the pipeline's punctuation.
    while (Pos < Text.size() && !llvm::isSpace(Text[Pos]) &&
           !llvm::StringRef(",{}=\"").contains(Text[Pos]))
      Out.push_back(Text[Pos++]);
    if (Out.empty())
      return fail("expected a value (write \"\" for an empty one)");
    return llvm::Error::success();
  }

  llvm::Error parseElement(PipelineElement &E) {
    E.Name = takeName().str();
    if (E.Name.empty())
      return fail("expected a pass name");
    skipSpace();
    if (Pos == Text.size() || Text[Pos] != '{')
      return llvm::Error::success();
    ++Pos;
    skipSpace();
    while (Pos < Text.size() && Text[Pos] != '}') {
      if (!E.Options.empty()) {
        if (Text[Pos] != ',')
          return fail("expected ',' or '}' in the options of '" + E.Name + "'");
        ++Pos;
        skipSpace();
      }
      std::string Key = takeName().str();
      if (Key.empty())
        return fail("expected an option name in the options of '" + E.Name + "'");
      skipSpace();
      if (Pos == Text.size() || Text[Pos] != '=')
        return fail("expected '=' after option '" + Key + "'");
      ++Pos;
      skipSpace();
      std::string Value;
      if (auto Err = parseValue(Value))
        return Err;
      if (E.Options.count(Key))
        return fail("option '" + Key + "' of '" + E.Name + "' is given twice");
      E.Options[Key] = std::move(Value);
      skipSpace();
    }
    if (Pos == Text.size())
      return fail("missing '}' after the options of '" + E.Name + "'");
    ++Pos;
    return llvm::Error::success();
  }

  llvm::StringRef Text;
  size_t Pos = 0;
};

} // namespace

llvm::Expected<std::vector<PipelineElement>> parsePipeline(llvm::StringRef Text) {
  return PipelineParser(Text).parse();
}

std::string printPipeline(llvm::ArrayRef<PipelineElement> Pipeline) {
  std::string S;
  for (const PipelineElement &E : Pipeline) {
    if (!S.empty())
      S += ',';
    S += E.Name;
    if (E.Options.empty())
      continue;
    S += '{';
    bool First = true;
    for (const auto &KV : E.Options) {
      if (!First)
        S += ',';
      First = false;
      S += KV.first + "=";
      bool Quote = KV.second.empty() ||
                   KV.second.find_first_of(",{}=\" \t\r\n\v\f\\") != std::string::npos;
      if (!Quote) {
        S += KV.second;
        continue;
      }
      S += '"';
      for (char C : KV.second) {
        if (C == '"' || C == '\\')
          S += '\\';
        S += C;
      }
      S += '"';
    }
    S += '}';
  }
  return S;
}

} // namespace qatc
