// The tokens of CQL2 text and the lexer that reads them, one token ahead, for the parser; the
// lexer is also the text's Source (cql2_source.hpp): its errors give 1-based character positions.
// Internal to layers/query: include it from nowhere else (cql2.hpp is the interface).
#pragma once

#include "layers/query/cql2_source.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace onemap::layers::cql2::detail {

/// Identifier characters: ASCII letters, digits, '_', ':', '.', and any non-ASCII (UTF-8) byte.
bool is_word_char(char c);

/// 1-based character (not byte) position of a byte offset.
std::size_t char_position(std::string_view text, std::size_t byte);

enum class Tok : uint8_t {
  End,
  Word,
  Name,
  String,
  Number,
  LParen,
  RParen,
  Comma,
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge
};

struct Token {
  Tok kind = Tok::End;
  std::size_t pos = 0;  ///< byte offset of the first character
  std::size_t end = 0;  ///< byte offset after the last character
  std::string text;     ///< Word: as written; Name, String: unquoted
  double number = 0;
};

/// Splits CQL2 text into tokens. Keywords are Words (the parser tells them from property names:
/// GDAL writes names unquoted, even with spaces).
/// @throws InvalidArgument (filter) from peek() and next() for text that is no token (an
/// unterminated string, a stray character, a malformed or out-of-range number).
class Lexer : public Source {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  /// "position <n>", n the 1-based character position of byte `at`.
  std::string where(std::size_t at) const override;
  /// Keywords are written as they are spelled (in any case).
  std::string spell(std::string_view keyword) const override { return std::string(keyword); }
  std::string_view time_literals() const override {
    return "TIMESTAMP('…'), DATE('…') or INTERVAL('…','…')";
  }

  const Token& peek() {
    if (!peeked_) {
      token_ = lex();
      peeked_ = true;
    }
    return token_;
  }
  Token next() {
    peek();
    peeked_ = false;
    return std::move(token_);
  }
  /// Continues lexing at a byte offset (drops a peeked token).
  void seek(std::size_t offset) {
    at_ = offset;
    peeked_ = false;
  }
  /// The first non-space character after a token, or '\0' at the end.
  char char_after(const Token& t) const;

  /// The next token, which must be of `kind`.
  /// @throws InvalidArgument (filter) "syntax error at position …: <what>" when it is not.
  Token expect(Tok kind, const std::string& what);
  /// Reports an error at a byte offset of this text, as fail() does.
  /// @throws TooExpensive (filter) when kind is kTooLarge, InvalidArgument (filter) otherwise.
  [[noreturn]] void error(std::size_t pos, std::string_view kind, const std::string& what) const {
    fail(*this, pos, kind, what);
  }
  /// @throws InvalidArgument (filter) "syntax error at position …: <what>".
  [[noreturn]] void syntax(std::size_t pos, const std::string& what) const {
    error(pos, "syntax error", what);
  }

 private:
  Token lex();
  std::string character_at(std::size_t at) const;
  Token quoted(Token t, char quote, Tok kind, const char* unterminated);
  Token number(Token t);

  std::string_view text_;
  std::size_t at_ = 0;
  Token token_;
  bool peeked_ = false;
};

}  // namespace onemap::layers::cql2::detail
