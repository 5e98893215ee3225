// Throwaway TLS certificates for tests: a test CA and a server certificate for 127.0.0.1 (and
// localhost) signed by it, made with the openssl command-line tool (EC P-256 keys: fast), in a
// fresh temp directory under $TEST_TMPDIR or /tmp:
//
//   std::string error;
//   auto certs = concord::testing::TestCertificates::Make(&error);
//   ASSERT_NE(certs, nullptr) << error;     // error says `make deps` when openssl is missing
//   certs->dir() + "/ca.pem"                // the CA, for the client's ssl_ca / sslrootcert
//   certs->dir() + "/server.pem", "/server.key"
//
// The directory is removed when the object is destroyed. Each Make is a CA of its own, so a
// second one serves as "a CA that did not sign the server's certificate".
#pragma once

#include <memory>
#include <string>

namespace concord::testing {

class TestCertificates {
 public:
  static std::unique_ptr<TestCertificates> Make(std::string* error);
  ~TestCertificates();
  TestCertificates(const TestCertificates&) = delete;
  TestCertificates& operator=(const TestCertificates&) = delete;

  // Holds ca.pem, ca.key, server.pem and server.key.
  const std::string& dir() const { return dir_; }

 private:
  explicit TestCertificates(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
};

}  // namespace concord::testing
