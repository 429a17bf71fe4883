//===- Lexer.h - Tokens of the .qir text form -------------------*- C++ -*-===//
//
// Splits .qir text into tokens with line and column, for the parser.
//
//===----------------------------------------------------------------------===//
#ifndef QATC_IR_TEXT_LEXER_H
#define QATC_IR_TEXT_LEXER_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>

namespace qatc {

/// One token of the text form.
struct Token {
  enum Kind : uint8_t {
    Eof,
    Error,
    Ident,      ///< bare word (letters, digits, `_`, `.`): ops, keywords, attribute names
    ValueName,  ///< %name or %"quoted name"
    ParamName,  ///< @name or @"quoted name"
    Integer,    ///< 12, -3
    Float,      ///< 1.5, -2e-3 (inf and nan are Idents)
    String,     ///< "text" with escapes
    HexBlob,    ///< 0x0123abcd
    Equal, Colon, Comma, LParen, RParen, LBracket, RBracket, LBrace, RBrace,
    Less, Greater, Question, Star, Minus,
  };

  Kind K = Eof;
  /// The token's text as written (for names and strings: the raw spelling).
  llvm::StringRef Text;
  uint32_t Line = 0;
  uint32_t Col = 0;

  bool is(Kind Other) const { return K == Other; }
  bool isKeyword(llvm::StringRef W) const { return K == Ident && Text == W; }
};

/// Returns a readable name for a token kind (`'('`, `integer`, ...).
llvm::StringRef tokenKindName(Token::Kind K);

/// A lexer over one buffer. Comments run from `//` to the end of the line.
class Lexer {
public:
  explicit Lexer(llvm::StringRef Buffer, uint32_t FirstLine = 1);

  /// Lexes and returns the next token.
  Token next();

  /// Decodes a String token's escapes, or the name part of a quoted
  /// ValueName/ParamName. Returns false on a bad escape.
  static bool unescape(llvm::StringRef Quoted, std::string &Out);

private:
  Token make(Token::Kind K, const char *Start);
  Token lexName(Token::Kind K, const char *Start);
  Token lexNumber(const char *Start);
  Token lexString(const char *Start);
  void skipSpaceAndComments();

  const char *Cur;
  const char *End;
  const char *LineStart;
  uint32_t Line;
};

/// True for characters allowed in bare names (letters, digits, `_ . $ -`).
bool isBareNameChar(char C);

} // namespace qatc

#endif // QATC_IR_TEXT_LEXER_H
