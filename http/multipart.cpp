// multipart/form-data bodies (multipart.hpp).
#include "http/multipart.hpp"

#include "core/errors.hpp"
#include "http/message.hpp"

namespace onemap::http {

namespace {

constexpr std::size_t kMaxHeaderBytes = 8 * 1024;

[[noreturn]] void refuse(const std::string& why) {
  throw InvalidArgument("body", "multipart/form-data: " + why);
}

// The parameters after the first ';' of a header value ("form-data; name=\"a\"; filename=b"),
// by lower-case name; quoted values unescaped. `what` names the header in errors.
std::vector<std::pair<std::string, std::string>> header_parameters(std::string_view value,
                                                                   const std::string& what) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t at = value.find(';');
  while (at != std::string_view::npos && at < value.size()) {
    ++at;  // past ';'
    while (at < value.size() && (value[at] == ' ' || value[at] == '\t')) ++at;
    if (at == value.size()) break;
    const std::size_t eq = value.find('=', at);
    if (eq == std::string_view::npos) throw InvalidArgument(what, "a parameter without a value");
    const std::string name = ascii_lower(trim_ows(value.substr(at, eq - at)));
    std::string v;
    at = eq + 1;
    if (at < value.size() && value[at] == '"') {
      ++at;
      while (at < value.size() && value[at] != '"') {
        if (value[at] == '\\' && at + 1 < value.size()) ++at;
        v += value[at++];
      }
      if (at == value.size()) throw InvalidArgument(what, "an unterminated quoted value");
      ++at;  // past the closing quote
      at = value.find(';', at);
    } else {
      const std::size_t end = value.find(';', at);
      v = std::string(trim_ows(value.substr(at, end == std::string_view::npos ? end : end - at)));
      at = end;
    }
    out.emplace_back(name, std::move(v));
  }
  return out;
}

// A part's headers ("Name: value" lines, CRLF-separated) into `part`.
void read_headers(std::string_view block, FormPart& part) {
  bool disposition = false;
  while (!block.empty()) {
    const std::size_t eol = block.find("\r\n");
    const std::string_view line = block.substr(0, eol);
    block = eol == std::string_view::npos ? std::string_view() : block.substr(eol + 2);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) refuse("a part's header line has no ':'");
    const std::string name = ascii_lower(trim_ows(line.substr(0, colon)));
    const std::string_view value = trim_ows(line.substr(colon + 1));
    if (name == "content-disposition") {
      if (ascii_lower(trim_ows(value.substr(0, value.find(';')))) != "form-data")
        refuse("a part's Content-Disposition is not form-data");
      disposition = true;
      for (auto& [k, v] : header_parameters(value, "body")) {
        if (k == "name") part.name = std::move(v);
        if (k == "filename") {
          part.filename = std::move(v);
          part.is_file = true;
        }
      }
    } else if (name == "content-type") {
      part.content_type = ascii_lower(trim_ows(value.substr(0, value.find(';'))));
    }
  }
  if (!disposition) refuse("a part has no Content-Disposition");
  if (part.name.empty()) refuse("a part has no name");
}

}  // namespace

std::string multipart_boundary(std::string_view content_type) {
  const std::string type = ascii_lower(trim_ows(content_type.substr(0, content_type.find(';'))));
  if (type != "multipart/form-data")
    throw InvalidArgument("Content-Type", "must be multipart/form-data");
  for (auto& [k, v] : header_parameters(content_type, "Content-Type"))
    if (k == "boundary") {
      // RFC 2046: 1 to 70 characters, not ending in a space.
      if (v.empty() || v.size() > 70 || v.back() == ' ')
        throw InvalidArgument("Content-Type", "a multipart boundary has 1 to 70 characters");
      for (unsigned char c : v)
        if (c < 0x20 || c > 0x7E)
          throw InvalidArgument("Content-Type", "a multipart boundary is printable ASCII");
      return v;
    }
  throw InvalidArgument("Content-Type", "multipart/form-data needs a boundary parameter");
}

std::vector<FormPart> parse_multipart(std::string_view body, std::string_view boundary,
                                      std::size_t max_parts) {
  const std::string delimiter = "--" + std::string(boundary);
  // The first delimiter opens the body (a preamble before it is ignored, RFC 2046).
  std::size_t at = body.rfind(delimiter, 0) == 0 ? 0 : body.find("\r\n" + delimiter);
  if (at == std::string_view::npos) refuse("no part begins with the boundary");
  at += body.rfind(delimiter, 0) == 0 ? delimiter.size() : delimiter.size() + 2;
  const std::string next = "\r\n" + delimiter;
  std::vector<FormPart> parts;
  while (true) {
    if (body.substr(at, 2) == "--") return parts;  // the closing delimiter
    // Transport padding (spaces, tabs) may follow a delimiter before its CRLF.
    while (at < body.size() && (body[at] == ' ' || body[at] == '\t')) ++at;
    if (body.substr(at, 2) != "\r\n") refuse("a boundary is not followed by a line break");
    at += 2;
    if (parts.size() == max_parts) refuse("more than " + std::to_string(max_parts) + " parts");
    const std::size_t headers_end = body.find("\r\n\r\n", at);
    // A part with no headers at all starts with the blank line.
    const bool no_headers = body.substr(at, 2) == "\r\n";
    if (!no_headers &&
        (headers_end == std::string_view::npos || headers_end - at > kMaxHeaderBytes))
      refuse("a part's headers do not end within " + std::to_string(kMaxHeaderBytes) + " bytes");
    FormPart part;
    read_headers(no_headers ? std::string_view() : body.substr(at, headers_end - at), part);
    at = no_headers ? at + 2 : headers_end + 4;
    const std::size_t end = body.find(next, at);
    if (end == std::string_view::npos) refuse("the body ends inside a part (no closing boundary)");
    part.data = body.substr(at, end - at);
    parts.push_back(std::move(part));
    at = end + next.size();
  }
}

}  // namespace onemap::http
