#include "conformance/connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

namespace th::conform {
namespace {

bool is_ip(const std::string& host) {
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

std::string ssl_error_text() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += (out.empty() ? "" : "; ") + std::string(buf);
  }
  return out.empty() ? "unknown TLS error" : out;
}

}  // namespace

struct Connection::Impl {
  int fd = -1;
  int cancel_fd = -1;
  std::atomic<bool> cancelled{false};
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;

  Impl() { cancel_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }
  ~Impl() {
    if (ssl) SSL_free(ssl);
    if (ctx) SSL_CTX_free(ctx);
    if (fd >= 0) ::close(fd);
    if (cancel_fd >= 0) ::close(cancel_fd);
  }

  // 1: ready; 0: the deadline passed; -1: cancelled or a poll error.
  int wait(short events, Deadline deadline) {
    while (true) {
      if (cancelled) return -1;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return 0;
      struct pollfd p[2] = {{fd, events, 0}, {cancel_fd, POLLIN, 0}};
      const int timeout = static_cast<int>(std::min<int64_t>(left.count() + 1, 60'000));
      const int n = ::poll(p, cancel_fd >= 0 ? 2 : 1, timeout);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return -1;
      if (cancelled) return -1;
      if (n > 0 && p[0].revents) return 1;
    }
  }
};

Connection::Connection() : impl_(std::make_unique<Impl>()) {}
Connection::~Connection() = default;

void Connection::cancel() {
  impl_->cancelled = true;
  if (impl_->cancel_fd >= 0) {
    const uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(impl_->cancel_fd, &one, sizeof one);
  }
}

bool Connection::cancelled() const { return impl_->cancelled; }

bool Connection::open(const Endpoint& e, Deadline deadline, std::string& error) {
  timed_out_ = false;
  if (impl_->cancelled) {
    error = "cancelled";
    return false;
  }
  struct addrinfo hints {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  struct addrinfo* found = nullptr;
  const std::string port = std::to_string(e.port);
  if (const int rc = getaddrinfo(e.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    error = "cannot resolve " + e.host + ": " + gai_strerror(rc);
    return false;
  }
  error = "cannot connect to " + e.host + ":" + port;
  for (struct addrinfo* a = found; a && impl_->fd < 0; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    impl_->fd = fd;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
      error = "cannot connect to " + e.host + ":" + port + ": " + std::strerror(errno);
    } else if (const int w = impl_->wait(POLLOUT, deadline); w <= 0) {
      timed_out_ = w == 0;
      error = w == 0 ? "no connection within the deadline" : "cancelled";
    } else {
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err == 0) break;  // connected
      error = "cannot connect to " + e.host + ":" + port + ": " + std::strerror(err);
    }
    ::close(fd);
    impl_->fd = -1;
    if (timed_out_ || impl_->cancelled) break;
  }
  freeaddrinfo(found);
  if (impl_->fd < 0) return false;
  int yes = 1;
  ::setsockopt(impl_->fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
  if (!e.tls) return true;

  impl_->ctx = SSL_CTX_new(TLS_client_method());
  if (!impl_->ctx) {
    error = "TLS: " + ssl_error_text();
    return false;
  }
  const bool store = e.ca_cert_path.empty() ? SSL_CTX_set_default_verify_paths(impl_->ctx) == 1
                                            : SSL_CTX_load_verify_locations(impl_->ctx, e.ca_cert_path.c_str(), nullptr) == 1;
  if (!store) {
    error = "TLS: cannot load the certificates " + (e.ca_cert_path.empty() ? std::string("of the system") : e.ca_cert_path);
    return false;
  }
  SSL_CTX_set_verify(impl_->ctx, SSL_VERIFY_PEER, nullptr);
  impl_->ssl = SSL_new(impl_->ctx);
  SSL_set_fd(impl_->ssl, impl_->fd);
  if (is_ip(e.host)) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(impl_->ssl), e.host.c_str());
  } else {
    SSL_set_tlsext_host_name(impl_->ssl, e.host.c_str());
    SSL_set1_host(impl_->ssl, e.host.c_str());
  }
  while (true) {
    ERR_clear_error();
    const int rc = SSL_connect(impl_->ssl);
    if (rc == 1) return true;
    const int why = SSL_get_error(impl_->ssl, rc);
    if (why != SSL_ERROR_WANT_READ && why != SSL_ERROR_WANT_WRITE) {
      const long verify = SSL_get_verify_result(impl_->ssl);
      error = "TLS handshake failed: " +
              (verify != X509_V_OK ? std::string("certificate: ") + X509_verify_cert_error_string(verify) : ssl_error_text());
      return false;
    }
    if (const int w = impl_->wait(why == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline); w <= 0) {
      timed_out_ = w == 0;
      error = w == 0 ? "no TLS handshake within the deadline" : "cancelled";
      return false;
    }
  }
}

bool Connection::write_all(std::string_view bytes, Deadline deadline, std::string& error) {
  while (!bytes.empty()) {
    if (impl_->cancelled) {
      error = "cancelled";
      return false;
    }
    short want = POLLOUT;
    ssize_t n = 0;
    if (impl_->ssl) {
      ERR_clear_error();
      const int rc = SSL_write(impl_->ssl, bytes.data(), static_cast<int>(std::min<size_t>(bytes.size(), 1 << 30)));
      if (rc > 0) {
        n = rc;
      } else {
        const int why = SSL_get_error(impl_->ssl, rc);
        if (why != SSL_ERROR_WANT_READ && why != SSL_ERROR_WANT_WRITE) {
          error = "TLS write failed: " + ssl_error_text();
          return false;
        }
        want = why == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
      }
    } else {
      n = ::send(impl_->fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        error = std::string("the request could not be sent: ") + std::strerror(errno);
        return false;
      }
    }
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (const int w = impl_->wait(want, deadline); w <= 0) {
      timed_out_ = w == 0;
      error = w == 0 ? "the request could not be sent within the deadline" : "cancelled";
      return false;
    }
  }
  return true;
}

long Connection::read_some(char* buf, size_t size, Deadline deadline, std::string& error) {
  while (true) {
    if (impl_->cancelled) {
      error = "cancelled";
      return -1;
    }
    short want = POLLIN;
    if (impl_->ssl) {
      ERR_clear_error();
      const int rc = SSL_read(impl_->ssl, buf, static_cast<int>(std::min<size_t>(size, 1 << 30)));
      if (rc > 0) return rc;
      const int why = SSL_get_error(impl_->ssl, rc);
      if (why == SSL_ERROR_ZERO_RETURN) return 0;
      if (why == SSL_ERROR_SYSCALL || why == SSL_ERROR_SSL) {
        // A server that closes without TLS's close_notify: the end of its bytes.
        const unsigned long e = ERR_peek_error();
        if (e == 0 || ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) return 0;
        error = "TLS read failed: " + ssl_error_text();
        return -1;
      }
      want = why == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN;
    } else {
      const ssize_t n = ::recv(impl_->fd, buf, size, 0);
      if (n >= 0) return n;
      if (errno == ECONNRESET) return 0;  // the peer went away: its bytes end here
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        error = std::string("the connection failed: ") + std::strerror(errno);
        return -1;
      }
    }
    if (const int w = impl_->wait(want, deadline); w <= 0) {
      timed_out_ = w == 0;
      error = w == 0 ? "deadline" : "cancelled";
      return -1;
    }
  }
}

}  // namespace th::conform
