//===- Parser.cpp - Reading QIR graphs from .qir text ---------------------===//
#include "ir/text/Parser.h"

#include "ir/text/Lexer.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace qatc {

namespace {

class Parser {
public:
  Parser(llvm::StringRef Buffer, llvm::StringRef BufferName, uint32_t FirstLine)
      : Lex(Buffer, FirstLine), BufferName(BufferName) {
    consume();
  }

  llvm::Expected<std::vector<std::unique_ptr<Graph>>> parseAll() {
    std::vector<std::unique_ptr<Graph>> Graphs;
    do {
      auto G = parseOneGraph();
      if (!G)
        return G.takeError();
      Graphs.push_back(std::move(*G));
    } while (!Tok.is(Token::Eof));
    return Graphs;
  }

  llvm::Expected<std::unique_ptr<Graph>> parseSingle() {
    auto G = parseOneGraph();
    if (!G)
      return G.takeError();
    if (!Tok.is(Token::Eof))
      return error("expected end of input after the graph; one graph per input (use "
                   "--split-input-file for several)");
    return G;
  }

private:
  // Token handling.
  void consume() { Tok = Lex.next(); }

  llvm::Error error(const Token &At, const llvm::Twine &Msg) {
    std::string Where = llvm::formatv("{0}:{1}:{2}: ", BufferName, At.Line, At.Col).str();
    return llvm::createStringError(llvm::inconvertibleErrorCode(), Where + Msg.str());
  }
  llvm::Error error(const llvm::Twine &Msg) { return error(Tok, Msg); }

  llvm::Error unexpected(llvm::StringRef What) {
    if (Tok.is(Token::Error))
      return error("invalid character or unterminated string '" + Tok.Text.take_front(20) +
                   "'");
    if (Tok.is(Token::Eof))
      return error("expected " + What + " but the input ended");
    return error("expected " + What + ", found '" + Tok.Text.take_front(40) + "'");
  }

  llvm::Error expect(Token::Kind K, llvm::StringRef What = "") {
    if (!Tok.is(K))
      return unexpected(What.empty() ? tokenKindName(K) : What);
    consume();
    return llvm::Error::success();
  }

  /// The name part of a ValueName/ParamName token (unquoted).
  llvm::Error nameOf(const Token &T, std::string &Out) {
    llvm::StringRef Body = T.Text.drop_front();
    if (!Body.startswith("\"")) {
      Out = Body.str();
      return llvm::Error::success();
    }
    if (!Lexer::unescape(Body, Out))
      return error(T, "invalid escape in quoted name");
    return llvm::Error::success();
  }

  // Grammar.
  llvm::Expected<std::unique_ptr<Graph>> parseOneGraph() {
    if (!Tok.isKeyword("graph"))
      return unexpected("'graph'");
    consume();
    if (!Tok.is(Token::ParamName))
      return unexpected("the graph name (@name)");
    std::string GName;
    if (auto E = nameOf(Tok, GName))
      return E;
    consume();
    auto G = std::make_unique<Graph>(GName);
    if (auto E = expect(Token::LBrace, "'{'"))
      return E;
    while (!Tok.is(Token::RBrace)) {
      llvm::Error E = Tok.isKeyword("param")     ? parseParam(*G)
                      : Tok.isKeyword("output")  ? parseOutput(*G)
                      : Tok.is(Token::ValueName) ? parseNode(*G)
                                                 : unexpected("'param', a %name or 'output'");
      if (E)
        return E;
    }
    consume();
    return G;
  }

  llvm::Error parseParam(Graph &G) {
    consume();
    Token NameTok = Tok;
    if (!Tok.is(Token::ParamName))
      return unexpected("a parameter name (@name)");
    std::string PName;
    if (auto E = nameOf(Tok, PName))
      return E;
    consume();
    if (G.lookupParameter(PName))
      return error(NameTok, "parameter '@" + PName + "' is defined twice");
    if (auto E = expect(Token::Colon, "':' and the parameter type"))
      return E;
    Token TypeTok = Tok;
    Type Ty;
    if (auto E = parseType(Ty))
      return E;
    if (!Ty.hasStaticShape())
      return error(TypeTok, "parameter '@" + PName + "' must have a static tensor type");
    if (!Ty.numElements())
      return error(TypeTok, "parameter '@" + PName + "' has too many elements");
    if (auto E = expect(Token::Equal, "'=' and the parameter data"))
      return E;
    Parameter *P = G.addParameter(PName, Ty);
    if (Tok.isKeyword("elided")) {
      consume();
      return llvm::Error::success();
    }
    if (!Tok.isKeyword("dense"))
      return unexpected("'dense<0x...>' or 'elided'");
    consume();
    if (auto E = expect(Token::Less, "'<'"))
      return E;
    if (!Tok.is(Token::HexBlob))
      return unexpected("hex data (0x...)");
    llvm::StringRef Hex = Tok.Text.drop_front(2);
    size_t Need = P->byteSize();
    if (Hex.size() != 2 * Need)
      return error(llvm::formatv("parameter '@{0}' has {1} bytes of data but its type {2} needs "
                                 "{3}",
                                 PName, Hex.size() / 2, Ty.str(), Need)
                       .str());
    std::vector<uint8_t> Bytes(Need);
    for (size_t I = 0; I < Need; ++I)
      Bytes[I] = uint8_t(llvm::hexDigitValue(Hex[2 * I]) << 4 | llvm::hexDigitValue(Hex[2 * I + 1]));
    P->setData(std::move(Bytes));
    consume();
    return expect(Token::Greater, "'>'");
  }

  llvm::Error parseType(Type &Out) {
    if (Tok.is(Token::LParen)) {
      consume();
      std::vector<Type> Elements;
      while (true) {
        // Checked before recursing, so a deeply nested type cannot exhaust the stack.
        if (Tok.is(Token::LParen))
          return error("tuple elements must be tensor types");
        Type E;
        if (auto Err = parseType(E))
          return Err;
        Elements.push_back(std::move(E));
        if (!Tok.is(Token::Comma))
          break;
        consume();
      }
      if (auto E = expect(Token::RParen, "')' closing the tuple type"))
        return E;
      Out = Type::tuple(std::move(Elements));
      return llvm::Error::success();
    }
    if (!Tok.is(Token::Ident))
      return unexpected("a type such as f32[1, 3]");
    auto DT = parseDType(Tok.Text);
    if (!DT)
      return error("unknown element type '" + Tok.Text + "'; expected f32, f16, i8, u8, i32, i64 "
                   "or bool");
    consume();
    if (auto E = expect(Token::LBracket, "'[' and the shape"))
      return E;
    if (Tok.is(Token::Star)) {
      consume();
      Out = Type::unranked(*DT);
      return expect(Token::RBracket, "']'");
    }
    llvm::SmallVector<int64_t, 4> Dims;
    while (!Tok.is(Token::RBracket)) {
      if (!Dims.empty())
        if (auto E = expect(Token::Comma, "',' or ']'"))
          return E;
      if (Tok.is(Token::Question)) {
        Dims.push_back(kDynamicDim);
      } else if (Tok.is(Token::Integer)) {
        int64_t D;
        if (Tok.Text.getAsInteger(10, D) || D < 0)
          return error("dimension '" + Tok.Text + "' must be a non-negative 64-bit integer or ?");
        Dims.push_back(D);
      } else {
        return unexpected("a dimension (integer or ?)");
      }
      consume();
    }
    consume();
    Out = Type::tensor(*DT, Dims);
    return llvm::Error::success();
  }

  llvm::Error parseOperands(Graph &G, llvm::SmallVectorImpl<Node *> &Ops) {
    if (auto E = expect(Token::LParen, "'(' and the operands"))
      return E;
    while (!Tok.is(Token::RParen)) {
      if (!Ops.empty())
        if (auto E = expect(Token::Comma, "',' or ')'"))
          return E;
      if (!Tok.is(Token::ValueName))
        return unexpected("an operand (%name)");
      std::string VName;
      if (auto E = nameOf(Tok, VName))
        return E;
      Node *V = G.lookupNode(VName);
      if (!V)
        return error("use of undefined value '%" + VName +
                     "'; values must be defined before they are used");
      Ops.push_back(V);
      consume();
    }
    consume();
    return llvm::Error::success();
  }

  llvm::Error parseLoc(Node *N) {
    if (!Tok.isKeyword("loc"))
      return llvm::Error::success();
    consume();
    if (auto E = expect(Token::LParen, "'('"))
      return E;
    if (!Tok.is(Token::String))
      return unexpected("a file name string");
    std::string File;
    if (!Lexer::unescape(Tok.Text, File))
      return error("invalid escape in string");
    consume();
    uint32_t LC[2];
    for (uint32_t &V : LC) {
      if (auto E = expect(Token::Colon, "':'"))
        return E;
      if (!Tok.is(Token::Integer) || Tok.Text.getAsInteger(10, V))
        return unexpected("a line or column number");
      consume();
    }
    N->setLoc(Location(File, LC[0], LC[1]));
    return expect(Token::RParen, "')'");
  }

  llvm::Error parseOutput(Graph &G) {
    Token At = Tok;
    consume();
    if (G.output())
      return error(At, "the graph has a second output node; a graph has exactly one");
    llvm::SmallVector<Node *, 4> Ops;
    if (auto E = parseOperands(G, Ops))
      return E;
    Node *N = G.createNode(NodeKind::Output, nullptr, "", Ops, Type(), G.nodes().end());
    return parseLoc(N);
  }

  llvm::Error parseNode(Graph &G) {
    Token NameTok = Tok;
    std::string NName;
    if (auto E = nameOf(Tok, NName))
      return E;
    consume();
    if (G.lookupNode(NName))
      return error(NameTok, "redefinition of '%" + NName + "'; node names must be unique");
    if (G.output())
      return error(NameTok, "node '%" + NName + "' comes after the output node");
    if (auto E = expect(Token::Equal, "'='"))
      return E;
    if (!Tok.is(Token::Ident))
      return unexpected("'placeholder', 'get_attr' or an op name");
    Token OpTok = Tok;
    consume();
    Node *N;
    if (OpTok.Text == "placeholder") {
      Type Ty;
      if (auto E = expect(Token::Colon, "':' and the type"))
        return E;
      if (auto E = parseType(Ty))
        return E;
      N = G.createNode(NodeKind::Placeholder, nullptr, NName, {}, std::move(Ty), G.nodes().end());
    } else if (OpTok.Text == "get_attr") {
      if (!Tok.is(Token::ParamName))
        return unexpected("a parameter name (@name)");
      std::string PName;
      if (auto E = nameOf(Tok, PName))
        return E;
      Parameter *P = G.lookupParameter(PName);
      if (!P)
        return error("get_attr of undefined parameter '@" + PName +
                     "'; declare it with 'param' first");
      consume();
      Type Ty;
      if (auto E = expect(Token::Colon, "':' and the type"))
        return E;
      if (auto E = parseType(Ty))
        return E;
      N = G.createNode(NodeKind::GetAttr, nullptr, NName, {}, std::move(Ty), G.nodes().end());
      N->setParam(P);
    } else {
      const OpInfo *Op = lookupOp(OpTok.Text);
      if (!Op)
        return error(OpTok, "unknown op '" + OpTok.Text +
                                "'; see the op registry (ir/Ops.def) or load the plugin that "
                                "defines it");
      llvm::SmallVector<Node *, 4> Ops;
      if (auto E = parseOperands(G, Ops))
        return E;
      llvm::SmallVector<NamedAttribute, 0> Attrs;
      if (Tok.is(Token::LBrace))
        if (auto E = parseAttrDict(Attrs))
          return E;
      Type Ty;
      if (auto E = expect(Token::Colon, "':' and the result type"))
        return E;
      if (auto E = parseType(Ty))
        return E;
      N = G.createNode(NodeKind::Call, Op, NName, Ops, std::move(Ty), G.nodes().end());
      N->setAttrs(std::move(Attrs));
    }
    return parseLoc(N);
  }

  const OpInfo *lookupOp(llvm::StringRef Name) {
    if (LastOp && LastOp->name() == Name)
      return LastOp;
    LastOp = OpRegistry::get().lookup(Name);
    return LastOp;
  }

  llvm::Error parseAttrDict(llvm::SmallVectorImpl<NamedAttribute> &Attrs) {
    consume();
    while (!Tok.is(Token::RBrace)) {
      if (!Attrs.empty())
        if (auto E = expect(Token::Comma, "',' or '}'"))
          return E;
      std::string AName;
      Token NameTok = Tok;
      if (Tok.is(Token::Ident)) {
        AName = Tok.Text.str();
      } else if (Tok.is(Token::String)) {
        if (!Lexer::unescape(Tok.Text, AName))
          return error("invalid escape in string");
      } else {
        return unexpected("an attribute name");
      }
      consume();
      for (const NamedAttribute &A : Attrs)
        if (A.Name == AName)
          return error(NameTok, "attribute '" + AName + "' is given twice");
      if (auto E = expect(Token::Equal, "'=' and the attribute value"))
        return E;
      Attribute V;
      if (auto E = parseAttrValue(V))
        return E;
      Attrs.push_back({std::move(AName), std::move(V)});
    }
    consume();
    return llvm::Error::success();
  }

  llvm::Error parseInt(int64_t &Out) {
    if (Tok.Text.getAsInteger(10, Out))
      return error("integer '" + Tok.Text + "' does not fit in 64 bits");
    consume();
    return llvm::Error::success();
  }

  /// Parses a float: a Float or Integer token, `inf`, `-inf` or `nan`.
  llvm::Error parseFloat(double &Out) {
    if (Tok.is(Token::Minus)) {
      consume();
      if (!Tok.isKeyword("inf"))
        return unexpected("'inf' after '-'");
      consume();
      Out = -INFINITY;
      return llvm::Error::success();
    }
    if (Tok.isKeyword("inf") || Tok.isKeyword("nan")) {
      Out = Tok.Text == "inf" ? INFINITY : NAN;
      consume();
      return llvm::Error::success();
    }
    if (!Tok.is(Token::Float) && !Tok.is(Token::Integer))
      return unexpected("a number");
    std::string S = Tok.Text.str();
    errno = 0;
    Out = std::strtod(S.c_str(), nullptr);
    if (errno == ERANGE && std::isinf(Out))
      return error("float '" + Tok.Text + "' is out of range");
    consume();
    return llvm::Error::success();
  }

  bool atFloat() const {
    return Tok.is(Token::Float) || Tok.is(Token::Minus) || Tok.isKeyword("inf") ||
           Tok.isKeyword("nan");
  }

  llvm::Error parseAttrValue(Attribute &Out) {
    if (Tok.is(Token::Integer)) {
      int64_t I;
      if (auto E = parseInt(I))
        return E;
      Out = Attribute(I);
      return llvm::Error::success();
    }
    if (atFloat()) {
      double D;
      if (auto E = parseFloat(D))
        return E;
      Out = Attribute(D);
      return llvm::Error::success();
    }
    if (Tok.is(Token::String)) {
      std::string S;
      if (!Lexer::unescape(Tok.Text, S))
        return error("invalid escape in string");
      consume();
      Out = Attribute(std::move(S));
      return llvm::Error::success();
    }
    if (Tok.isKeyword("true") || Tok.isKeyword("false")) {
      Out = Attribute(Tok.Text == "true");
      consume();
      return llvm::Error::success();
    }
    // An empty list may name its kind: floats[], strings[].
    std::optional<AttrKind> ListKind;
    if (Tok.isKeyword("ints") || Tok.isKeyword("floats") || Tok.isKeyword("strings")) {
      ListKind = parseAttrKind(Tok.Text);
      consume();
      if (!Tok.is(Token::LBracket))
        return unexpected("'[' after the list kind");
    } else if (Tok.is(Token::Ident)) {
      if (auto DT = parseDType(Tok.Text)) {
        consume();
        Out = Attribute(*DT);
        return llvm::Error::success();
      }
      return error("unknown attribute value '" + Tok.Text + "'");
    }
    if (!Tok.is(Token::LBracket))
      return unexpected("an attribute value");
    consume();
    return parseList(Out, ListKind);
  }

  llvm::Error parseList(Attribute &Out, std::optional<AttrKind> Kind) {
    std::vector<int64_t> Ints;
    std::vector<double> Floats;
    std::vector<std::string> Strings;
    size_t N = 0;
    while (!Tok.is(Token::RBracket)) {
      if (N)
        if (auto E = expect(Token::Comma, "',' or ']'"))
          return E;
      if (!Kind) {
        // The first element decides; ints widen to floats if a float follows.
        Kind = Tok.is(Token::String) ? AttrKind::Strings
               : atFloat()           ? AttrKind::Floats
                                     : AttrKind::Ints;
      }
      if (*Kind == AttrKind::Ints && atFloat()) {
        Kind = AttrKind::Floats;
        for (int64_t I : Ints)
          Floats.push_back(double(I));
      }
      if (*Kind == AttrKind::Strings) {
        if (!Tok.is(Token::String))
          return unexpected("a string list element");
        std::string S;
        if (!Lexer::unescape(Tok.Text, S))
          return error("invalid escape in string");
        Strings.push_back(std::move(S));
        consume();
      } else if (*Kind == AttrKind::Floats) {
        double D;
        if (auto E = parseFloat(D))
          return E;
        Floats.push_back(D);
      } else {
        if (!Tok.is(Token::Integer))
          return unexpected("an integer list element");
        int64_t I;
        if (auto E = parseInt(I))
          return E;
        Ints.push_back(I);
      }
      ++N;
    }
    consume();
    if (!Kind || *Kind == AttrKind::Ints)
      Out = Attribute(std::move(Ints));
    else if (*Kind == AttrKind::Floats)
      Out = Attribute(std::move(Floats));
    else
      Out = Attribute(std::move(Strings));
    return llvm::Error::success();
  }

  Lexer Lex;
  Token Tok;
  llvm::StringRef BufferName;
  const OpInfo *LastOp = nullptr;
};

} // namespace

/// Refuses a buffer with more node definitions (lines starting with `%`)
/// than a graph file may hold, before any node is built.
static llvm::Error checkNodeCount(llvm::StringRef Buffer, llvm::StringRef BufferName) {
  size_t Definitions = 0;
  for (size_t Pos = 0; Pos < Buffer.size();) {
    size_t First = Buffer.find_first_not_of(" \t", Pos);
    if (First != llvm::StringRef::npos && Buffer[First] == '%')
      ++Definitions;
    size_t Eol = Buffer.find('\n', Pos);
    Pos = Eol == llvm::StringRef::npos ? Buffer.size() : Eol + 1;
  }
  if (Definitions <= kMaxGraphFileNodes)
    return llvm::Error::success();
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      llvm::formatv("{0}: the file defines {1} values but a graph file may hold at most {2} nodes",
                    BufferName, Definitions, kMaxGraphFileNodes)
          .str());
}

llvm::Expected<std::unique_ptr<Graph>> parseGraph(llvm::StringRef Buffer,
                                                  llvm::StringRef BufferName, uint32_t FirstLine) {
  if (llvm::Error E = checkNodeCount(Buffer, BufferName))
    return std::move(E);
  return Parser(Buffer, BufferName, FirstLine).parseSingle();
}

llvm::Expected<std::vector<std::unique_ptr<Graph>>>
parseGraphs(llvm::StringRef Buffer, llvm::StringRef BufferName, uint32_t FirstLine) {
  if (llvm::Error E = checkNodeCount(Buffer, BufferName))
    return std::move(E);
  return Parser(Buffer, BufferName, FirstLine).parseAll();
}

} // namespace qatc
