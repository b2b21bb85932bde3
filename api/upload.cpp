// Request bodies staged for GDAL (upload.hpp).
#include "api/upload.hpp"

#include <cpl_vsi.h>

#include <atomic>
#include <cctype>

namespace onemap::api {

std::string media_type(const http::Request& request) {
  std::string type(request.header("content-type"));
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  for (char& ch : type) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return type;
}

Upload::Upload(std::string_view bytes, std::string_view extension) {
  static std::atomic<uint64_t> next{0};
  if (bytes.empty()) throw InvalidArgument("body", "the body is empty");
  path_ = "/vsimem/onemap-upload-" + std::to_string(next++) + std::string(extension);
  VSILFILE* f =
      VSIFileFromMemBuffer(path_.c_str(), reinterpret_cast<GByte*>(const_cast<char*>(bytes.data())),
                           bytes.size(), FALSE);
  if (!f) throw Error("cannot stage the upload");
  VSIFCloseL(f);
  source_ = extension == ".zip" ? "/vsizip/" + path_ : path_;
}

Upload::~Upload() {
  VSIUnlink(path_.c_str());
}

InvalidArgument Upload::about_body(const InvalidArgument& e) const {
  std::string detail = e.detail();
  for (std::size_t at; (at = detail.find(source_)) != std::string::npos;)
    detail.replace(at, source_.size(), "the body");
  return InvalidArgument(e.parameter() == "source" ? "body" : e.parameter(), detail);
}

}  // namespace onemap::api
