#include "servers/test_certificates.h"

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>

namespace concord::testing {

std::unique_ptr<TestCertificates> TestCertificates::Make(std::string* error) {
  const char* base = getenv("TEST_TMPDIR");
  std::string dir = std::string(base && *base ? base : "/tmp") + "/concord_certs_XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) {
    *error = "mkdtemp failed for " + dir;
    return nullptr;
  }
  std::unique_ptr<TestCertificates> certs(new TestCertificates(dir));
  std::string script =
      "cd '" + dir +
      "' && printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > ext.cnf && "
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
      "-subj '/CN=concord test CA' -keyout ca.key -out ca.pem && "
      "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
      "-subj '/CN=127.0.0.1' -keyout server.key -out server.csr && "
      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
      "-extfile ext.cnf -out server.pem";
  std::string cmd = "sh -c \"" + script + "\" > '" + dir + "/openssl.log' 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    *error = "openssl could not make test certificates (" + dir +
             "/openssl.log says why); `make deps` installs openssl";
    certs->dir_.clear();  // keep the directory and its log for the reader
    return nullptr;
  }
  return certs;
}

TestCertificates::~TestCertificates() {
  if (dir_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

}  // namespace concord::testing
