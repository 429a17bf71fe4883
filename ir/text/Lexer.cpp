//===- Lexer.cpp - Tokens of the .qir text form ---------------------------===//
#include "ir/text/Lexer.h"

#include "llvm/ADT/StringExtras.h"

namespace qatc {

llvm::StringRef tokenKindName(Token::Kind K) {
  switch (K) {
  case Token::Eof: return "end of input";
  case Token::Error: return "invalid token";
  case Token::Ident: return "identifier";
  case Token::ValueName: return "%name";
  case Token::ParamName: return "@name";
  case Token::Integer: return "integer";
  case Token::Float: return "float";
  case Token::String: return "string";
  case Token::HexBlob: return "hex data";
  case Token::Equal: return "'='";
  case Token::Colon: return "':'";
  case Token::Comma: return "','";
  case Token::LParen: return "'('";
  case Token::RParen: return "')'";
  case Token::LBracket: return "'['";
  case Token::RBracket: return "']'";
  case Token::LBrace: return "'{'";
  case Token::RBrace: return "'}'";
  case Token::Less: return "'<'";
  case Token::Greater: return "'>'";
  case Token::Question: return "'?'";
  case Token::Star: return "'*'";
  case Token::Minus: return "'-'";
  }
  return "token";
}

bool isBareNameChar(char C) {
  return llvm::isAlnum(C) || C == '_' || C == '.' || C == '$' || C == '-';
}

Lexer::Lexer(llvm::StringRef Buffer, uint32_t FirstLine)
    : Cur(Buffer.begin()), End(Buffer.end()), LineStart(Buffer.begin()), Line(FirstLine) {}

Token Lexer::make(Token::Kind K, const char *Start) {
  Token T;
  T.K = K;
  T.Text = llvm::StringRef(Start, Cur - Start);
  T.Line = Line;
  T.Col = uint32_t(Start - LineStart) + 1;
  return T;
}

void Lexer::skipSpaceAndComments() {
  while (Cur != End) {
    char C = *Cur;
    if (C == '\n') {
      ++Cur;
      ++Line;
      LineStart = Cur;
    } else if (C == ' ' || C == '\t' || C == '\r') {
      ++Cur;
    } else if (C == '/' && Cur + 1 != End && Cur[1] == '/') {
      while (Cur != End && *Cur != '\n')
        ++Cur;
    } else {
      return;
    }
  }
}

Token Lexer::next() {
  skipSpaceAndComments();
  const char *Start = Cur;
  if (Cur == End)
    return make(Token::Eof, Start);
  char C = *Cur++;
  switch (C) {
  case '=': return make(Token::Equal, Start);
  case ':': return make(Token::Colon, Start);
  case ',': return make(Token::Comma, Start);
  case '(': return make(Token::LParen, Start);
  case ')': return make(Token::RParen, Start);
  case '[': return make(Token::LBracket, Start);
  case ']': return make(Token::RBracket, Start);
  case '{': return make(Token::LBrace, Start);
  case '}': return make(Token::RBrace, Start);
  case '<': return make(Token::Less, Start);
  case '>': return make(Token::Greater, Start);
  case '?': return make(Token::Question, Start);
  case '*': return make(Token::Star, Start);
  case '"': return lexString(Start);
  case '%': return lexName(Token::ValueName, Start);
  case '@': return lexName(Token::ParamName, Start);
  default: break;
  }
  if (C == '-' || llvm::isDigit(C)) {
    if (C == '-' && (Cur == End || !llvm::isDigit(*Cur)))
      return make(Token::Minus, Start);
    return lexNumber(Start);
  }
  if (llvm::isAlpha(C) || C == '_') {
    while (Cur != End && (llvm::isAlnum(*Cur) || *Cur == '_' || *Cur == '.'))
      ++Cur;
    return make(Token::Ident, Start);
  }
  return make(Token::Error, Start);
}

Token Lexer::lexName(Token::Kind K, const char *Start) {
  if (Cur != End && *Cur == '"') {
    ++Cur;
    Token S = lexString(Cur - 1);
    if (S.K == Token::Error)
      return S;
    return make(K, Start);
  }
  while (Cur != End && isBareNameChar(*Cur))
    ++Cur;
  if (Cur == Start + 1)
    return make(Token::Error, Start);
  return make(K, Start);
}

Token Lexer::lexNumber(const char *Start) {
  if (*Start == '0' && Cur != End && (*Cur == 'x' || *Cur == 'X')) {
    ++Cur;
    while (Cur != End && llvm::isHexDigit(*Cur))
      ++Cur;
    return make(Token::HexBlob, Start);
  }
  while (Cur != End && llvm::isDigit(*Cur))
    ++Cur;
  bool IsFloat = false;
  if (Cur != End && *Cur == '.') {
    IsFloat = true;
    ++Cur;
    while (Cur != End && llvm::isDigit(*Cur))
      ++Cur;
  }
  if (Cur != End && (*Cur == 'e' || *Cur == 'E')) {
    const char *Save = Cur;
    ++Cur;
    if (Cur != End && (*Cur == '+' || *Cur == '-'))
      ++Cur;
    if (Cur != End && llvm::isDigit(*Cur)) {
      IsFloat = true;
      while (Cur != End && llvm::isDigit(*Cur))
        ++Cur;
    } else {
      Cur = Save;
    }
  }
  return make(IsFloat ? Token::Float : Token::Integer, Start);
}

Token Lexer::lexString(const char *Start) {
  while (Cur != End && *Cur != '"' && *Cur != '\n') {
    if (*Cur == '\\' && Cur + 1 != End)
      ++Cur;
    ++Cur;
  }
  if (Cur == End || *Cur != '"')
    return make(Token::Error, Start);
  ++Cur;
  return make(Token::String, Start);
}

bool Lexer::unescape(llvm::StringRef Quoted, std::string &Out) {
  Out.clear();
  if (Quoted.size() < 2 || Quoted.front() != '"' || Quoted.back() != '"')
    return false;
  llvm::StringRef S = Quoted.drop_front().drop_back();
  for (size_t I = 0; I < S.size(); ++I) {
    char C = S[I];
    if (C != '\\') {
      Out.push_back(C);
      continue;
    }
    if (++I == S.size())
      return false;
    switch (S[I]) {
    case '"': Out.push_back('"'); break;
    case '\\': Out.push_back('\\'); break;
    case 'n': Out.push_back('\n'); break;
    case 't': Out.push_back('\t'); break;
    case 'x': {
      llvm::StringRef Hex = S.substr(I + 1, 2);
      unsigned V;
      if (Hex.size() != 2 || Hex.getAsInteger(16, V))
        return false;
      Out.push_back(char(V));
      I += 2;
      break;
    }
    default:
      return false;
    }
  }
  return true;
}

} // namespace qatc
