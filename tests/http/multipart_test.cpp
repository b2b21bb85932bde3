// multipart/form-data bodies (http/multipart.hpp): forms as browsers and GeoReport v2 clients
// write them, and the frames a reader must refuse.
#include "http/multipart.hpp"

#include "core/errors.hpp"
#include "tests/support/thrown.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace onemap;
using onemap::testing::refused;

TEST(Multipart, ReadsFieldsAndFilesAsBrowsersWriteThem) {
  const std::string photo("\xFF\xD8\xFF\xE0\r\n--not the boundary\r\n\0bytes", 33);
  const std::string body =
      "preamble to ignore\r\n"
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"service_code\"\r\n"
      "\r\n"
      "0101\r\n"
      "--XyZ\r\n"
      "content-disposition: form-data; name=\"description\"\r\n"
      "\r\n"
      "two\r\nlines\r\n"
      "--XyZ  \r\n"
      "Content-Disposition: form-data; name=\"media\"; filename=\"a \\\"b\\\".jpg\"\r\n"
      "Content-Type: Image/JPEG; x=1\r\n"
      "\r\n" +
      photo + "\r\n--XyZ--\r\nepilogue";
  EXPECT_EQ(http::multipart_boundary("multipart/form-data; charset=utf-8; boundary=XyZ"), "XyZ");
  EXPECT_EQ(http::multipart_boundary("Multipart/Form-Data; boundary=\"XyZ\""), "XyZ");
  const auto parts = http::parse_multipart(body, "XyZ");
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].name, "service_code");
  EXPECT_EQ(parts[0].data, "0101");
  EXPECT_FALSE(parts[0].is_file);
  EXPECT_EQ(parts[1].data, "two\r\nlines");
  EXPECT_EQ(parts[2].name, "media");
  EXPECT_TRUE(parts[2].is_file);
  EXPECT_EQ(parts[2].filename, "a \"b\".jpg");
  EXPECT_EQ(parts[2].content_type, "image/jpeg");
  EXPECT_EQ(parts[2].data, photo);
  EXPECT_TRUE(http::parse_multipart("--XyZ--\r\n", "XyZ").empty());
}

TEST(Multipart, RefusesBrokenFramesNamingTheBodyOrTheContentType) {
  for (const char* type : {"multipart/form-data", "multipart/form-data; boundary=",
                           "multipart/form-data; boundary=\"unterminated",
                           "application/x-www-form-urlencoded; boundary=a"})
    EXPECT_EQ(refused([&] { http::multipart_boundary(type); }), "Content-Type") << type;
  EXPECT_EQ(refused([&] {
              http::multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'a'));
            }),
            "Content-Type");
  const std::string disposition = "Content-Disposition: form-data; name=\"a\"\r\n\r\n";
  for (const std::string& body : std::vector<std::string>{
           "no boundary at all", "--b\r\n" + disposition + "x",  // never closed
           "--b\r\n" + disposition + "x\r\n--b",                 // nor here
           "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--",  // no disposition
           "--b\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--b--",
           "--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--",  // no name
           "--b\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--b--",
           "--b\r\nno colon here\r\n\r\nx\r\n--b--", "--bX\r\n" + disposition + "x\r\n--b--",
           "--b\r\n" + std::string(9000, 'h') + "\r\n\r\nx\r\n--b--"})
    EXPECT_EQ(refused([&] { http::parse_multipart(body, "b"); }), "body") << body.substr(0, 80);
  std::string many;
  for (int i = 0; i < 3; ++i) many += "--b\r\n" + disposition + "x\r\n";
  EXPECT_EQ(refused([&] { http::parse_multipart(many + "--b--", "b", 2); }), "body");
  EXPECT_EQ(http::parse_multipart(many + "--b--", "b", 3).size(), 3u);
}
