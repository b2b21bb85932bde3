// The CQL2 text lexer: quoted strings and names (a doubled quote stands for one), numbers,
// words (keywords and bare property names), parentheses, commas and comparison operators; and
// the character positions its errors, and the parser's, give.
#include "layers/query/cql2_lexer.hpp"

#include "layers/query/cql2_program.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace onemap::layers::cql2::detail {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_word_start(char c) {
  return is_alpha(c) || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

}  // namespace

bool is_word_char(char c) {
  return is_word_start(c) || is_digit(c) || c == ':' || c == '.';
}

std::size_t char_position(std::string_view text, std::size_t byte) {
  byte = std::min(byte, text.size());
  std::size_t n = 1;
  for (std::size_t i = 0; i < byte; ++i)
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++n;
  return n;
}

std::string Lexer::where(std::size_t at) const {
  return "position " + std::to_string(char_position(text_, at));
}

char Lexer::char_after(const Token& t) const {
  std::size_t i = t.end;
  while (i < text_.size() && is_space(text_[i])) ++i;
  return i < text_.size() ? text_[i] : '\0';
}

Token Lexer::expect(Tok kind, const std::string& what) {
  if (peek().kind != kind) syntax(peek().pos, what);
  return next();
}

Token Lexer::lex() {
  while (at_ < text_.size() && is_space(text_[at_])) ++at_;
  Token t;
  t.pos = at_;
  if (at_ >= text_.size()) {
    t.end = at_;
    return t;
  }
  const char c = text_[at_];
  auto single = [&](Tok kind, std::size_t length) {
    t.kind = kind;
    at_ += length;
    t.end = at_;
    return t;
  };
  const char c2 = at_ + 1 < text_.size() ? text_[at_ + 1] : '\0';
  switch (c) {
    case '(':
      return single(Tok::LParen, 1);
    case ')':
      return single(Tok::RParen, 1);
    case ',':
      return single(Tok::Comma, 1);
    case '=':
      return single(Tok::Eq, 1);
    case '<':
      return c2 == '=' ? single(Tok::Le, 2) : c2 == '>' ? single(Tok::Ne, 2) : single(Tok::Lt, 1);
    case '>':
      return c2 == '=' ? single(Tok::Ge, 2) : single(Tok::Gt, 1);
    case '\'':
      return quoted(std::move(t), '\'', Tok::String, "unterminated string");
    case '"':
      return quoted(std::move(t), '"', Tok::Name, "unterminated quoted property name");
    default:
      break;
  }
  if (is_digit(c) || c == '.' || c == '+' || c == '-') return number(std::move(t));
  if (is_word_start(c)) {
    while (at_ < text_.size() && is_word_char(text_[at_])) ++at_;
    t.kind = Tok::Word;
    t.end = at_;
    t.text = std::string(text_.substr(t.pos, at_ - t.pos));
    return t;
  }
  syntax(at_, "unexpected character " + character_at(at_));
}

// The character at a byte offset, quoted for a message (a control character as \xNN).
std::string Lexer::character_at(std::size_t at) const {
  const auto c = static_cast<unsigned char>(text_[at]);
  if (c < 0x20 || c == 0x7F) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "\\x%02X", c);
    return hex;
  }
  return "'" + std::string(text_.substr(at, std::min(utf8_length(c), text_.size() - at))) + "'";
}

// A quoted string or name; a doubled quote stands for one.
Token Lexer::quoted(Token t, char quote, Tok kind, const char* unterminated) {
  ++at_;
  while (true) {
    if (at_ >= text_.size()) syntax(t.pos, unterminated);
    if (text_[at_] == quote) {
      if (at_ + 1 < text_.size() && text_[at_ + 1] == quote) {
        t.text += quote;
        at_ += 2;
        continue;
      }
      ++at_;
      break;
    }
    t.text += text_[at_++];
  }
  if (kind == Tok::Name && t.text.empty()) syntax(t.pos, "empty quoted property name");
  t.kind = kind;
  t.end = at_;
  return t;
}

// [+-] (digits [. digits] | . digits) [e [+-] digits]
Token Lexer::number(Token t) {
  std::size_t i = at_;
  if (text_[i] == '+' || text_[i] == '-') ++i;
  std::size_t digits = 0;
  while (i < text_.size() && is_digit(text_[i])) ++i, ++digits;
  if (i < text_.size() && text_[i] == '.') {
    ++i;
    while (i < text_.size() && is_digit(text_[i])) ++i, ++digits;
  }
  if (digits == 0) syntax(at_, "unexpected character " + character_at(at_));
  if (i < text_.size() && (text_[i] == 'e' || text_[i] == 'E')) {
    std::size_t j = i + 1;
    if (j < text_.size() && (text_[j] == '+' || text_[j] == '-')) ++j;
    if (j < text_.size() && is_digit(text_[j])) {
      while (j < text_.size() && is_digit(text_[j])) ++j;
      i = j;
    }
  }
  std::size_t from = at_ + (text_[at_] == '+' ? 1 : 0);  // from_chars takes no '+'
  auto [ptr, ec] = std::from_chars(text_.data() + from, text_.data() + i, t.number);
  if (ec == std::errc::result_out_of_range) syntax(at_, "number out of range");
  if (ec != std::errc() || ptr != text_.data() + i) syntax(at_, "malformed number");
  t.kind = Tok::Number;
  at_ = i;
  t.end = i;
  return t;
}

}  // namespace onemap::layers::cql2::detail
