// The tests' webhook subscriber (webhook_receiver.hpp): one connection at a time, one request
// each (the deliverer sends Connection: close).
#include "tests/support/webhook_receiver.hpp"

#include "tests/support/server_process.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace onemap::testing {

WebhookReceiver::WebhookReceiver(Policy policy) : policy_(std::move(policy)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("socket failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::listen(listen_fd_, 64) != 0)
    throw std::runtime_error("cannot listen on loopback");
  socklen_t len = sizeof a;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  thread_ = std::thread([this] { serve(); });
}

WebhookReceiver::~WebhookReceiver() {
  stopping_ = true;
  thread_.join();
  ::close(listen_fd_);
}

std::string WebhookReceiver::url() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/hook";
}

std::vector<Delivery> WebhookReceiver::deliveries() const {
  std::lock_guard lock(mutex_);
  return deliveries_;
}

bool WebhookReceiver::wait_for(const std::function<bool(const std::vector<Delivery>&)>& done,
                               std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done(deliveries())) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

void WebhookReceiver::serve() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::string in;
    char buf[8192];
    std::size_t head_end = std::string::npos, length = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd q{fd, POLLIN, 0};
      if (::poll(&q, 1, 100) <= 0) continue;
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      in.append(buf, static_cast<std::size_t>(n));
      if (head_end == std::string::npos && (head_end = in.find("\r\n\r\n")) != std::string::npos) {
        std::string lower = in.substr(0, head_end);
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        const auto cl = lower.find("content-length:");
        if (cl != std::string::npos) length = std::stoul(lower.substr(cl + 15));
      }
      if (head_end != std::string::npos && in.size() >= head_end + 4 + length) break;
    }
    if (head_end == std::string::npos) {
      ::close(fd);
      continue;
    }
    Delivery d;
    std::istringstream head(in.substr(0, head_end));
    std::string line;
    std::getline(head, line);  // the request line
    while (std::getline(head, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      d.headers[name] = value;
    }
    d.body = in.substr(head_end + 4, length);
    {
      std::lock_guard lock(mutex_);
      d.answered = policy_ ? policy_(deliveries_.size(), d) : 200;
      deliveries_.push_back(d);
    }
    const std::string answer = "HTTP/1.1 " + std::to_string(d.answered) +
                               " X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    ::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
    ::close(fd);
  }
}

void add_subscriber(const std::string& dir, const std::string& store, const std::string& name,
                    const std::string& url, const std::string& secret, const std::string& kind) {
  const std::string secret_file = dir + "/" + name + ".secret";
  std::ofstream(secret_file) << secret << "\n";
  const CommandResult r =
      run_command({ONEMAP_BINARY, "webhook", "add", "--data", store, "--name", name, "--url", url,
                   "--secret-file", secret_file, "--kind", kind});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find(secret), std::string::npos);
}

}  // namespace onemap::testing
