//===- ConfigDocument.cpp - JSON or YAML config text as one ordered tree ---===//
#include "passes/quant/ConfigDocument.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/YAMLParser.h"

namespace qatc {

ConfigValue ConfigValue::null() { return ConfigValue(); }

ConfigValue ConfigValue::boolean(bool B, llvm::StringRef Text) {
  ConfigValue V;
  V.K = Kind::Bool;
  V.Int = B;
  V.Text = Text.str();
  return V;
}

ConfigValue ConfigValue::integer(int64_t I, llvm::StringRef Text) {
  ConfigValue V;
  V.K = Kind::Integer;
  V.Int = I;
  V.Text = Text.str();
  return V;
}

ConfigValue ConfigValue::string(llvm::StringRef Text) {
  ConfigValue V;
  V.K = Kind::String;
  V.Text = Text.str();
  return V;
}

ConfigValue ConfigValue::list(std::vector<ConfigValue> Items) {
  ConfigValue V;
  V.K = Kind::List;
  V.Items = std::move(Items);
  return V;
}

ConfigValue ConfigValue::map(std::vector<Entry> Entries) {
  ConfigValue V;
  V.K = Kind::Map;
  V.Entries = std::move(Entries);
  return V;
}

namespace {

llvm::Error documentError(const llvm::Twine &Message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Message.str());
}

/// A parser message as the tail of our sentence: no capital, no final `!`.
std::string tidyParserMessage(llvm::StringRef Message) {
  std::string Out = Message.rtrim(" .!").str();
  if (!Out.empty())
    Out[0] = llvm::toLower(Out[0]);
  return Out;
}

/// A plain (unquoted, untagged) scalar, resolved as PyYAML's safe_load does
/// for the types a config uses: null, bool and decimal integers.
ConfigValue resolvePlainScalar(llvm::StringRef Text) {
  if (Text.empty() || Text == "~" || Text == "null" || Text == "Null" || Text == "NULL")
    return ConfigValue::null();
  std::optional<bool> Bool = llvm::StringSwitch<std::optional<bool>>(Text)
                                 .Cases("true", "True", "TRUE", true)
                                 .Cases("yes", "Yes", "YES", "on", "On", "ON", true)
                                 .Cases("false", "False", "FALSE", false)
                                 .Cases("no", "No", "NO", "off", "Off", "OFF", false)
                                 .Default(std::nullopt);
  if (Bool)
    return ConfigValue::boolean(*Bool, Text);
  // [-+]?(0|[1-9][0-9_]*); other PyYAML integer forms (octal, hex) stay strings.
  llvm::StringRef Digits = Text;
  bool Negative = Digits.consume_front("-");
  if (!Negative)
    Digits.consume_front("+");
  bool Decimal = !Digits.empty() && llvm::isDigit(Digits[0]) &&
                 (Digits == "0" || Digits[0] != '0') &&
                 llvm::all_of(Digits, [](char C) { return llvm::isDigit(C) || C == '_'; });
  if (Decimal) {
    std::string Clean = Negative ? "-" : "";
    for (char C : Digits)
      if (C != '_')
        Clean.push_back(C);
    int64_t Value;
    if (!llvm::StringRef(Clean).getAsInteger(10, Value))
      return ConfigValue::integer(Value, Text);
  }
  return ConfigValue::string(Text);
}

std::string childPath(llvm::StringRef Path, llvm::StringRef Key) {
  return Path.empty() ? Key.str() : (Path + "." + Key).str();
}

/// Converts llvm::yaml nodes (valid only while the stream is walked once).
class TreeBuilder {
public:
  explicit TreeBuilder(llvm::StringRef BufferName) : BufferName(BufferName) {}

  llvm::Expected<ConfigValue> build(llvm::yaml::Node *N, const std::string &Path) {
    llvm::Expected<ConfigValue> V = convert(N, Path);
    if (V && !N->getAnchor().empty())
      Anchors[N->getAnchor()] = *V;
    return V;
  }

private:
  llvm::Error fail(const std::string &Path, const llvm::Twine &Message) {
    if (Path.empty())
      return documentError(BufferName + ": " + Message);
    return documentError(BufferName + ": " + Path + ": " + Message);
  }

  llvm::Expected<ConfigValue> convert(llvm::yaml::Node *N, const std::string &Path) {
    using namespace llvm::yaml;
    using llvm::dyn_cast;
    using llvm::dyn_cast_or_null;
    using llvm::isa;
    llvm::StringRef Tag = N->getRawTag();
    bool ForceString = Tag == "!!str" || Tag == "!";
    bool StandardTag =
        Tag == "!!int" || Tag == "!!bool" || Tag == "!!null" || Tag == "!!map" || Tag == "!!seq";
    if (!Tag.empty() && !ForceString && !StandardTag)
      return fail(Path, llvm::formatv("the YAML tag '{0}' is not supported; remove it", Tag));

    if (isa<NullNode>(N))
      return ConfigValue::null();
    if (auto *S = dyn_cast<ScalarNode>(N)) {
      llvm::SmallString<32> Storage;
      llvm::StringRef Value = S->getValue(Storage);
      llvm::StringRef Raw = S->getRawValue();
      bool Quoted = Raw.startswith("\"") || Raw.startswith("'");
      if (Quoted || ForceString)
        return ConfigValue::string(Value);
      // llvm::yaml keeps the line break after a top-level plain scalar.
      return resolvePlainScalar(Value.rtrim());
    }
    if (auto *B = dyn_cast<BlockScalarNode>(N))
      return ConfigValue::string(B->getValue());
    if (auto *A = dyn_cast<AliasNode>(N)) {
      auto It = Anchors.find(A->getName());
      if (It == Anchors.end())
        return fail(Path, llvm::formatv("the alias '*{0}' names no earlier anchor; define "
                                        "'&{0}' before using it",
                                        A->getName()));
      return It->second;
    }
    if (auto *Seq = dyn_cast<SequenceNode>(N)) {
      std::vector<ConfigValue> Items;
      for (Node &Item : *Seq) {
        llvm::Expected<ConfigValue> V =
            build(&Item, (Path + "[" + llvm::Twine(Items.size()) + "]").str());
        if (!V)
          return V.takeError();
        Items.push_back(std::move(*V));
      }
      return ConfigValue::list(std::move(Items));
    }
    if (auto *Map = dyn_cast<MappingNode>(N)) {
      std::vector<ConfigValue::Entry> Entries;
      llvm::StringMap<bool> Seen;
      for (KeyValueNode &KV : *Map) {
        auto *Key = dyn_cast_or_null<ScalarNode>(KV.getKey());
        if (!Key)
          return fail(Path, "a mapping key is not a plain string; write keys as strings");
        llvm::SmallString<32> Storage;
        std::string KeyText = Key->getValue(Storage).str();
        std::string Sub = childPath(Path, KeyText);
        if (Key->getRawValue() == "<<")
          return fail(Sub, "YAML merge keys are not supported; write the keys out or alias the "
                           "whole mapping");
        if (!Seen.try_emplace(KeyText, true).second)
          return fail(Sub, "the key is given twice; keep one of them");
        llvm::Expected<ConfigValue> V = build(KV.getValue(), Sub);
        if (!V)
          return V.takeError();
        Entries.emplace_back(std::move(KeyText), std::move(*V));
      }
      return ConfigValue::map(std::move(Entries));
    }
    return fail(Path, "this YAML node kind is not supported in a config");
  }

  llvm::StringRef BufferName;
  llvm::StringMap<ConfigValue> Anchors;
};

/// The first diagnostic llvm::yaml reports.
struct FirstDiagnostic {
  bool Seen = false;
  unsigned Line = 0;
  unsigned Column = 0;
  std::string Message;

  static void record(const llvm::SMDiagnostic &D, void *Context) {
    auto *Self = static_cast<FirstDiagnostic *>(Context);
    if (Self->Seen)
      return;
    Self->Seen = true;
    Self->Line = D.getLineNo();
    Self->Column = D.getColumnNo() + 1;
    Self->Message = D.getMessage().str();
  }
};

/// How deep a config may nest; real configs nest three or four levels.
constexpr unsigned kMaxConfigDepth = 64;

/// An upper bound on how deep Text nests: brackets and braces outside quoted
/// strings and comments, plus (for YAML) the indentation levels and compact
/// `- ` entries of block structure. Computed without recursion, before the
/// (recursive) parsers see the text.
unsigned nestingDepthBound(llvm::StringRef Text, ConfigFormat Format) {
  bool YAML = Format == ConfigFormat::YAML;
  size_t Flow = 0, MaxDepth = 0;
  llvm::SmallVector<size_t, 16> Indents; // open block levels (YAML)
  char Quote = 0;
  char Prev = '\n'; // the last character that is not a space
  for (size_t I = 0; I < Text.size(); ++I) {
    if (YAML && Prev == '\n' && Flow == 0 && !Quote) {
      size_t Start = I;
      while (I < Text.size() && Text[I] == ' ')
        ++I;
      size_t Indent = I - Start, Compact = 0;
      while (I + 1 < Text.size() && (Text[I] == '-' || Text[I] == '?') && Text[I + 1] == ' ') {
        ++Compact;
        for (I += 2; I < Text.size() && Text[I] == ' ';)
          ++I;
      }
      if (I >= Text.size())
        break;
      if (Text[I] != '\n' && Text[I] != '#') { // blank and comment lines open nothing
        while (!Indents.empty() && Indents.back() >= Indent)
          Indents.pop_back();
        Indents.push_back(Indent);
        MaxDepth = std::max(MaxDepth, Indents.size() + Compact);
      }
    }
    char C = Text[I];
    if (Quote) {
      if (C == '\\' && Quote == '"')
        ++I;
      else if (C == Quote)
        Quote = 0;
      else if (C == '\n')
        Prev = ' ';
      continue;
    }
    // In YAML a quote opens a string only where a scalar starts.
    bool ScalarStart = !YAML || llvm::StringRef(":[{,-?\n").contains(Prev);
    if ((C == '"' || C == '\'') && ScalarStart)
      Quote = C;
    else if (C == '#' && YAML)
      while (I + 1 < Text.size() && Text[I + 1] != '\n')
        ++I;
    else if (C == '[' || C == '{')
      MaxDepth = std::max(MaxDepth, Indents.size() + ++Flow);
    else if ((C == ']' || C == '}') && Flow > 0)
      --Flow;
    if (C != ' ' && C != '\t')
      Prev = C;
  }
  return unsigned(std::min<size_t>(MaxDepth, UINT32_MAX));
}

llvm::Error checkNestingDepth(llvm::StringRef Text, ConfigFormat Format,
                              llvm::StringRef BufferName) {
  unsigned Depth = nestingDepthBound(Text, Format);
  if (Depth <= kMaxConfigDepth)
    return llvm::Error::success();
  return documentError(llvm::formatv("{0}: the config nests {1} levels deep but qatc reads at "
                                     "most {2}; a config needs only a few levels",
                                     BufferName, Depth, kMaxConfigDepth));
}

llvm::Error checkJSONSyntax(llvm::StringRef Text, llvm::StringRef BufferName) {
  llvm::Expected<llvm::json::Value> Parsed = llvm::json::parse(Text);
  if (Parsed)
    return llvm::Error::success();
  // llvm::json reports `[line:column, byte=offset]: message`.
  std::string Message = llvm::toString(Parsed.takeError());
  llvm::SmallVector<llvm::StringRef, 4> Parts;
  if (llvm::Regex("^\\[([0-9]+):([0-9]+), byte=[0-9]+\\]: (.*)$").match(Message, &Parts))
    return documentError(llvm::formatv("{0}:{1}:{2}: invalid JSON: {3}", BufferName, Parts[1],
                                       Parts[2], tidyParserMessage(Parts[3])));
  return documentError(
      llvm::formatv("{0}: invalid JSON: {1}", BufferName, tidyParserMessage(Message)));
}

llvm::Error checkYAMLSyntax(llvm::StringRef Text, llvm::StringRef BufferName,
                            llvm::StringRef FormatName) {
  llvm::SourceMgr SM;
  FirstDiagnostic Diag;
  SM.setDiagHandler(FirstDiagnostic::record, &Diag);
  llvm::yaml::Stream Stream(Text, SM);
  unsigned Documents = 0;
  for (llvm::yaml::Document &Doc : Stream) {
    Doc.skip();
    ++Documents;
  }
  if (Stream.failed() || Diag.Seen)
    return documentError(llvm::formatv("{0}:{1}:{2}: invalid {3}: {4}", BufferName, Diag.Line,
                                       Diag.Column, FormatName, tidyParserMessage(Diag.Message)));
  if (Documents > 1)
    return documentError(llvm::formatv(
        "{0}: the file holds {1} YAML documents; a config is one document, so remove the '---' "
        "separators",
        BufferName, Documents));
  return llvm::Error::success();
}

} // namespace

llvm::Expected<ConfigValue> parseConfigDocument(llvm::StringRef Text, ConfigFormat Format,
                                                llvm::StringRef BufferName) {
  if (Text.trim().empty())
    return ConfigValue::null();
  llvm::StringRef FormatName = Format == ConfigFormat::JSON ? "JSON" : "YAML";
  if (auto Err = checkNestingDepth(Text, Format, BufferName))
    return Err;
  if (Format == ConfigFormat::JSON)
    if (auto Err = checkJSONSyntax(Text, BufferName))
      return Err;
  // A first walk finds every syntax error before any content is judged.
  if (auto Err = checkYAMLSyntax(Text, BufferName, FormatName))
    return Err;

  llvm::SourceMgr SM;
  SM.setDiagHandler([](const llvm::SMDiagnostic &, void *) {}, nullptr);
  llvm::yaml::Stream Stream(Text, SM);
  llvm::yaml::document_iterator Doc = Stream.begin();
  if (Doc == Stream.end() || !Doc->getRoot())
    return ConfigValue::null();
  return TreeBuilder(BufferName).build(Doc->getRoot(), "");
}

} // namespace qatc
