// http/request_reader: requests read whole and in order however the bytes arrive, and every
// malformed or ambiguous request refused with the status and header the error table gives.
#include "http/request_reader.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <utility>
#include <vector>

namespace {

using onemap::http::ReaderLimits;
using onemap::http::ReadError;
using onemap::http::Request;
using onemap::http::RequestReader;
using Status = RequestReader::Status;

struct Read {
  std::vector<Request> requests;
  std::optional<ReadError> error;
  int continues = 0;
};

// Feeds `bytes` in pieces of `chunk` bytes (0: all at once) and collects what comes out.
Read read_all(const std::string& bytes, std::size_t chunk = 0, ReaderLimits limits = {}) {
  RequestReader reader(std::move(limits));
  Read out;
  auto drain = [&] {
    while (true) {
      Request r;
      ReadError e;
      const Status s = reader.next(r, e);
      if (s == Status::Ready)
        out.requests.push_back(std::move(r));
      else if (s == Status::Continue)
        ++out.continues;
      else if (s == Status::Error)
        return out.error = e, false;
      else
        return true;
    }
  };
  if (chunk == 0) chunk = bytes.size() ? bytes.size() : 1;
  for (std::size_t i = 0; i < bytes.size(); i += chunk) {
    reader.feed(std::string_view(bytes).substr(i, chunk));
    if (!drain()) break;
  }
  return out;
}

ReadError error_of(const std::string& bytes) {
  const Read r = read_all(bytes);
  EXPECT_TRUE(r.error.has_value()) << bytes;
  return r.error.value_or(ReadError{});
}

TEST(RequestReader, ReadsARequestWithItsHeadersPathAndQuery) {
  const Read r = read_all(
      "GET /collections/incidents/items?limit=5&f=json HTTP/1.1\r\nHost: example.org:8080\r\n"
      "Accept-Encoding:  gzip \r\nX-Empty:\r\n\r\n");
  ASSERT_FALSE(r.error);
  ASSERT_EQ(r.requests.size(), 1u);
  const Request& q = r.requests[0];
  EXPECT_EQ(q.method, "GET");
  EXPECT_EQ(q.path, "/collections/incidents/items");
  EXPECT_EQ(q.query_string, "limit=5&f=json");
  EXPECT_EQ(q.header("host"), "example.org:8080");
  EXPECT_EQ(q.header("accept-encoding"), "gzip");
  EXPECT_TRUE(q.has_header("x-empty"));
  EXPECT_TRUE(q.keep_alive);
  EXPECT_TRUE(q.body.empty());
}

TEST(RequestReader, PipelinedRequestsComeOutInOrderHoweverTheBytesArrive) {
  std::string wire;
  for (int i = 0; i < 5; ++i) {
    const std::string body = i % 2 ? std::string(static_cast<std::size_t>(i * 7), 'x') : "";
    wire += "POST /p" + std::to_string(i) +
            " HTTP/1.1\r\nHost: h\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
            body;
  }
  wire += "\r\nGET /last HTTP/1.1\nHost: h\n\n";  // a blank line between requests, and bare LFs
  for (std::size_t chunk : {0, 1, 2, 3, 7, 64}) {
    const Read r = read_all(wire, chunk);
    ASSERT_FALSE(r.error) << chunk;
    ASSERT_EQ(r.requests.size(), 6u) << chunk;
    for (int i = 0; i < 5; ++i) {
      EXPECT_EQ(r.requests[i].path, "/p" + std::to_string(i));
      EXPECT_EQ(r.requests[i].body.size(), static_cast<std::size_t>(i % 2 ? i * 7 : 0));
    }
    EXPECT_EQ(r.requests[5].path, "/last");
  }
}

TEST(RequestReader, IncompleteRequestsWaitForMore) {
  RequestReader reader;
  Request r;
  ReadError e;
  reader.feed("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nab");
  EXPECT_EQ(reader.next(r, e), Status::NeedMore);
  EXPECT_TRUE(reader.mid_request());
  reader.feed("cd");
  ASSERT_EQ(reader.next(r, e), Status::Ready);
  EXPECT_EQ(r.body, "abcd");
  EXPECT_FALSE(reader.mid_request());
  EXPECT_EQ(reader.next(r, e), Status::NeedMore);
}

TEST(RequestReader, ContentLengthIsReadStrictly) {
  for (const char* bad : {"-1", "99999999999999999999", "+5", "5 5", "0x10", "", "5, 6", "1e3"}) {
    const ReadError e =
        error_of(std::string("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: ") + bad + "\r\n\r\n");
    EXPECT_EQ(e.status, 400) << bad;
    EXPECT_EQ(e.code, "invalid_header") << bad;
    EXPECT_EQ(e.parameter, "Content-Length") << bad;
  }
  const ReadError two =
      error_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd");
  EXPECT_EQ(two.parameter, "Content-Length");
  // The same value repeated is one length (RFC 9110 §8.6).
  const Read same = read_all(
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3, 3\r\n\r\nabc");
  ASSERT_FALSE(same.error);
  EXPECT_EQ(same.requests.at(0).body, "abc");
}

TEST(RequestReader, ABodyOverTheLimitIs413BeforeItIsSent) {
  ReaderLimits limits;
  limits.body_limit = [](std::string_view, std::string_view path) -> std::size_t {
    return path == "/big" ? 100 : 10;
  };
  // Only the head is fed: the answer must not wait for the body.
  const Read r =
      read_all("POST /small HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n", 0, limits);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->status, 413);
  EXPECT_EQ(r.error->code, "payload_too_large");
  EXPECT_FALSE(
      read_all("POST /big HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n0123456789a", 0, limits)
          .error);
}

TEST(RequestReader, HostIsRequiredOnceAndValid) {
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\n\r\n").parameter, "Host");
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").parameter, "Host");
  for (const char* bad : {"\xff", "a b", "exa/mple", "h:80x", "[::1", "h:123456"}) {
    const ReadError e = error_of(std::string("GET / HTTP/1.1\r\nHost: ") + bad + "\r\n\r\n");
    EXPECT_EQ(e.status, 400) << bad;
    EXPECT_EQ(e.parameter, "Host") << bad;
  }
  for (const char* good : {"localhost", "127.0.0.1:8080", "[::1]:80", "xn--fiqs8s.example", ""})
    EXPECT_FALSE(read_all(std::string("GET / HTTP/1.1\r\nHost: ") + good + "\r\n\r\n").error)
        << good;
  EXPECT_FALSE(read_all("GET / HTTP/1.0\r\n\r\n").error);  // HTTP/1.0 needs none
}

TEST(RequestReader, WhatIsNotHttpIsRefusedAtOnce) {
  EXPECT_EQ(error_of("hello there\r\n\r\n").code, "invalid_request");
  EXPECT_EQ(error_of("GET /\r\n\r\n").code, "invalid_request");
  EXPECT_EQ(error_of("GET  / HTTP/1.1\r\nHost: h\r\n\r\n").code, "invalid_request");
  EXPECT_EQ(error_of("GET nopath HTTP/1.1\r\nHost: h\r\n\r\n").code, "invalid_request");
  EXPECT_EQ(error_of("GET / HTTP/2.0\r\nHost: h\r\n\r\n").status, 505);
  EXPECT_EQ(error_of("GET / FTP/1.1\r\nHost: h\r\n\r\n").status, 400);
  EXPECT_EQ(error_of("GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n").status, 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n").status, 400);
  const ReadError te = error_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ(te.status, 501);
  EXPECT_EQ(te.parameter, "Transfer-Encoding");
}

TEST(RequestReader, MalformedHeaderLinesAreRefused) {
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n  folded\r\n\r\n").status, 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost : h\r\n\r\n").code, "invalid_header");
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\r\nno colon\r\n\r\n").code, "invalid_header");
  static const char with_nul[] = "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\0b\r\n\r\n";
  const ReadError nul = error_of(std::string(with_nul, sizeof with_nul - 1));
  EXPECT_EQ(nul.code, "invalid_header");
  EXPECT_EQ(nul.parameter, "X-A");
}

TEST(RequestReader, LimitsOnTheHead) {
  EXPECT_EQ(error_of("GET /" + std::string(50000, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n").status,
            414);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(70000, 'a') + "\r\n\r\n")
                .status,
            431);
  // Too large is known before the head ends.
  const Read r = read_all("GET / HTTP/1.1\r\nX-Big: " + std::string(70000, 'a'), 1000);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->status, 431);
  std::string many = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < 101; ++i) many += "X-" + std::to_string(i) + ": 1\r\n";
  EXPECT_EQ(error_of(many + "\r\n").status, 431);
}

TEST(RequestReader, AHeadOfTheLimitsSizeIsReadHoweverItsLastBytesArrive) {
  ReaderLimits limits;
  limits.max_head_bytes = 64;
  // 64 bytes up to the empty line: within the limit, whether its CR LF comes with the head, byte
  // by byte, or after the CR.
  const std::string start = "GET / HTTP/1.1\r\nHost: h\r\nX-Pad: ";
  const std::string head = start + std::string(64 - start.size() - 2, 'a') + "\r\n";
  ASSERT_EQ(head.size(), 64u);
  for (std::size_t chunk : {0, 1, 65}) {
    const Read r = read_all(head + "\r\n", chunk, limits);
    EXPECT_FALSE(r.error) << chunk;
    EXPECT_EQ(r.requests.size(), 1u) << chunk;
  }
  // One byte more is too large, at once or in pieces.
  for (std::size_t chunk : {0, 1, 65}) {
    const Read r =
        read_all(start + std::string(64 - start.size() - 1, 'a') + "\r\n\r\n", chunk, limits);
    ASSERT_TRUE(r.error) << chunk;
    EXPECT_EQ(r.error->status, 431) << chunk;
  }
}

TEST(RequestReader, ConnectionPersistenceFollowsRfc9112) {
  auto keep = [](const std::string& head) {
    return read_all(head + "\r\n").requests.at(0).keep_alive;
  };
  EXPECT_TRUE(keep("GET / HTTP/1.1\r\nHost: h\r\n"));
  EXPECT_FALSE(keep("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n"));
  EXPECT_FALSE(keep("GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Close\r\n"));
  EXPECT_FALSE(keep("GET / HTTP/1.0\r\n"));
  EXPECT_TRUE(keep("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n"));
}

TEST(RequestReader, Expect100ContinueIsAskedForOnce) {
  const std::string head =
      "POST /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n";
  const Read r = read_all(head + "abc", head.size());  // the head alone, then the body
  ASSERT_FALSE(r.error);
  EXPECT_EQ(r.continues, 1);
  EXPECT_EQ(r.requests.at(0).body, "abc");
  EXPECT_EQ(read_all(head + "abc").continues, 0);  // the body came with the head: nothing to ask
}

TEST(RequestReader, AfterAnErrorNothingMoreIsRead) {
  RequestReader reader;
  Request r;
  ReadError e;
  reader.feed("BAD\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(reader.next(r, e), Status::Error);
  EXPECT_EQ(reader.next(r, e), Status::Error);
}

TEST(RequestReader, RandomBytesEndInAnErrorOrAWaitNeverACrash) {
  std::mt19937 rng(7);
  // (The literal holds a NUL: its size says where it ends.)
  static constexpr char kAlphabet[] =
      "GETPOST /?&=:HTTP/1.0\r\n\r\nHost: h\nContent-Length: 12\x00\xff\t ";
  const std::string alphabet(kAlphabet, sizeof kAlphabet - 1);
  for (int t = 0; t < 20000; ++t) {
    std::string s(rng() % 200, ' ');
    for (char& c : s) c = alphabet[rng() % alphabet.size()];
    const Read r = read_all(s, 1 + rng() % 16);
    for (const auto& q : r.requests) EXPECT_FALSE(q.method.empty());
  }
}

}  // namespace
