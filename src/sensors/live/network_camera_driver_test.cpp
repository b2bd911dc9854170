// NetworkCameraDriver against real streams served on loopback from the OpenCV sample video
// (Megamind.avi, Debian package opencv-doc): HTTP MJPEG and MPEG-TS over UDP from ffmpeg, RTP with
// an SDP file from ffmpeg, RTSP from GStreamer's RTSP server (tests/support/rtsp_server.py). Servers
// are killed and restarted on the same port mid-run; a port where nothing listens, a declared size
// the stream does not have and a server that answers with garbage are checked too. Every wait has a
// deadline on a condition; a missing tool skips the test and says which.
#include "sensors/live/network_camera_driver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "common/env.h"
#include "support/child_process.h"
#include "support/paths.h"
#include "support/ports.h"
#include "support/recording_sink.h"
#include "support/stream_server.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace sensix {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::eventually;
using testing::free_tcp_port;
using testing::free_udp_port;
using testing::have_program;
using testing::kMegamind;
using testing::mjpeg_http_args;
using testing::read_text;
using testing::RecordingSink;
using testing::TempDir;
using testing::wait_for_datagram;

SensorSpec camera_spec(const std::string& url) {
  SensorSpec s;
  s.driver = DriverKind::kNetworkCamera;
  s.url = url;
  s.replay.speed = 1;
  s.reconnect.initial_delay = 0.1;
  s.reconnect.max_delay = 0.3;
  s.reconnect.timeout = 3;
  return s;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// The video's size as OpenCV reads the file itself.
cv::Size megamind_size() {
  cv::VideoCapture cap(kMegamind, cv::CAP_FFMPEG);
  if (!cap.isOpened()) return {};
  return {static_cast<int>(cap.get(cv::CAP_PROP_FRAME_WIDTH)), static_cast<int>(cap.get(cv::CAP_PROP_FRAME_HEIGHT))};
}

class NetworkCamera : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kMegamind)) GTEST_SKIP() << kMegamind << " is missing: apt-get install opencv-doc";
    if (!have_program("ffmpeg")) GTEST_SKIP() << "ffmpeg is not installed: apt-get install ffmpeg";
    size_ = megamind_size();
    ASSERT_GT(size_.width, 0);
  }
  void TearDown() override {
    if (!HasFailure()) return;
    for (const auto& f : {"server.log", "server2.log"}) {
      if (std::filesystem::exists(dir_.file(f))) std::cerr << f << ":\n" << read_text(dir_.file(f)) << "\n";
    }
  }

  // Waits for `n` frames and checks their size and format.
  void expect_frames(RecordingSink& sink, size_t n, std::chrono::milliseconds timeout = 10s) {
    ASSERT_TRUE(sink.wait_for_frames(n, timeout)) << "only " << sink.frames().size() << " frames arrived";
    for (const auto& f : sink.frames()) {
      const auto* m = std::get_if<cv::Mat>(&f->data);
      ASSERT_NE(m, nullptr);
      EXPECT_EQ(m->cols, size_.width);
      EXPECT_EQ(m->rows, size_.height);
      EXPECT_EQ(m->type(), CV_8UC3);
    }
  }

  // Runs the whole lost-and-back sequence: frames flow, the server is killed, the sensor
  // reconnects naming the URL, the server comes back on the same port, frames flow again and the
  // first of them is marked as a discontinuity.
  void kill_and_restart(const std::string& url, const std::function<void(ChildProcess&)>& start_server) {
    ChildProcess server;
    start_server(server);
    if (HasFatalFailure()) return;
    NetworkCameraDriver d("cam", camera_spec(url));
    ASSERT_TRUE(d.open().ok());
    RecordingSink sink;
    ASSERT_TRUE(d.start(&sink).ok());
    expect_frames(sink, 5);
    EXPECT_TRUE(eventually([&] { return d.state() == SensorState::kRunning; }, 5s)) << d.reason();

    server.kill_now();
    ASSERT_TRUE(eventually([&] { return d.state() == SensorState::kReconnecting; }, 8s))
        << sensor_state_name(d.state()) << ": " << d.reason();
    EXPECT_TRUE(contains(d.reason(), url)) << d.reason();
    EXPECT_GT(d.stats().reconnects, 0u);
    const size_t before = sink.frames().size();

    start_server(server);
    if (HasFatalFailure()) return;
    ASSERT_TRUE(sink.wait_for_frames(before + 3, 15s))
        << "no frames after the restart; " << sensor_state_name(d.state()) << ": " << d.reason();
    EXPECT_TRUE(eventually([&] { return d.state() == SensorState::kRunning; }, 5s)) << d.reason();
    const auto frames = sink.frames();
    for (size_t i = 0; i < before; ++i) EXPECT_FALSE(frames[i]->discontinuity) << "frame " << i;
    EXPECT_TRUE(frames[before]->discontinuity);
    for (size_t i = before + 1; i < frames.size(); ++i) EXPECT_FALSE(frames[i]->discontinuity) << "frame " << i;
    for (size_t i = 1; i < frames.size(); ++i) EXPECT_EQ(frames[i]->seq, frames[i - 1]->seq + 1);
    d.stop();
    EXPECT_EQ(d.state(), SensorState::kStopped);
    EXPECT_EQ(sink.eos_calls(), 1);
  }

  TempDir dir_;
  cv::Size size_;
};

TEST(NetworkCameraUrl, HidesThePassword) {
  EXPECT_EQ(redact_url("rtsp://admin:secret@10.0.0.7:554/stream1"), "rtsp://admin:***@10.0.0.7:554/stream1");
  EXPECT_EQ(redact_url("rtsp://admin@10.0.0.7/s"), "rtsp://admin@10.0.0.7/s");
  EXPECT_EQ(redact_url("http://127.0.0.1:8080/cam?user=a@b"), "http://127.0.0.1:8080/cam?user=a@b");
  EXPECT_EQ(redact_url("http://u:p:q@h/x@y"), "http://u:***@h/x@y");
  EXPECT_EQ(redact_url("/tmp/cam.sdp"), "/tmp/cam.sdp");
  // What frames carry (Frame::source): no user name, no password.
  EXPECT_EQ(url_without_userinfo("rtsp://admin:secret@10.0.0.7:554/stream1"), "rtsp://10.0.0.7:554/stream1");
  EXPECT_EQ(url_without_userinfo("rtsp://admin@10.0.0.7/s"), "rtsp://10.0.0.7/s");
  EXPECT_EQ(url_without_userinfo("http://127.0.0.1:8080/cam?user=a@b"), "http://127.0.0.1:8080/cam?user=a@b");
  EXPECT_EQ(url_without_userinfo("http://u:p:q@h/x@y"), "http://h/x@y");
  EXPECT_EQ(url_without_userinfo("/tmp/cam.sdp"), "/tmp/cam.sdp");
}

TEST(NetworkCameraOpen, DescribesFromTheDocumentWithoutConnecting) {
  // Nothing listens on this port: open() must still succeed (a camera down at start-up does not
  // stop sensix), with the format the document declares.
  SensorSpec s = camera_spec(fmt::format("rtsp://127.0.0.1:{}/cam", free_tcp_port()));
  s.video.width = 640;
  s.video.height = 480;
  s.video.fps = 10;
  auto made = make_sensor_driver("cam", s);
  ASSERT_TRUE(made.ok()) << made.status().message();
  SensorDriver& d = **made;
  ASSERT_TRUE(d.open().ok());
  EXPECT_EQ(d.state(), SensorState::kPending);
  EXPECT_EQ(d.info().modality, Modality::kImage);
  EXPECT_EQ(d.info().channels, 3);
  EXPECT_EQ(d.info().width, 640);
  EXPECT_EQ(d.info().height, 480);
  EXPECT_DOUBLE_EQ(d.info().fps, 10);
  EXPECT_TRUE(contains(d.info().description, s.url)) << d.info().description;

  NetworkCameraDriver any("cam", camera_spec("http://127.0.0.1:1/cam"));
  ASSERT_TRUE(any.open().ok());
  EXPECT_EQ(any.info().width, 0);  // any size until the stream says
  EXPECT_EQ(any.info().height, 0);
  EXPECT_DOUBLE_EQ(any.info().fps, 0);
}

TEST(NetworkCameraOpen, RefusesBadSettings) {
  SensorSpec s = camera_spec("");
  NetworkCameraDriver no_url("cam", s);
  EXPECT_EQ(no_url.open().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(no_url.state(), SensorState::kFailed);

  s = camera_spec("http://127.0.0.1:1/cam");
  s.video.fps = -1;
  NetworkCameraDriver bad_fps("cam", s);
  EXPECT_EQ(bad_fps.open().code(), StatusCode::kInvalidArgument);

  s = camera_spec("http://127.0.0.1:1/cam");
  s.reconnect.timeout = 0;
  NetworkCameraDriver bad_timeout("cam", s);
  EXPECT_EQ(bad_timeout.open().code(), StatusCode::kInvalidArgument);
}

TEST(NetworkCameraLifecycle, NothingListeningReconnectsThenFailsAfterMaxAttempts) {
  const std::string url = fmt::format("http://127.0.0.1:{}/cam", free_tcp_port());
  ManualEnv env;  // the back-off waits on this clock
  {
    NetworkCameraDriver d("cam", camera_spec(url), &env);
    ASSERT_TRUE(d.open().ok());
    RecordingSink sink;
    ASSERT_TRUE(d.start(&sink).ok());
    ASSERT_TRUE(env.run_until([&] { return d.stats().reconnects >= 2; }, 5s)) << d.reason();
    EXPECT_EQ(d.state(), SensorState::kReconnecting) << d.reason();
    EXPECT_TRUE(contains(d.reason(), "cannot connect to " + url)) << d.reason();
    EXPECT_TRUE(sink.frames().empty());
    d.stop();
    EXPECT_EQ(d.state(), SensorState::kStopped);
    EXPECT_EQ(sink.eos_calls(), 1);
  }
  SensorSpec s = camera_spec(url);
  s.reconnect.max_attempts = 2;
  NetworkCameraDriver d("cam", s, &env);
  ASSERT_TRUE(d.open().ok());
  RecordingSink sink;
  const TimePoint t0 = env.now();
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(env.run_until([&] { return sink.eos_calls() > 0; }, 10s));
  EXPECT_EQ(env.now() - t0, 100ms) << "one back-off (initialDelay) between the two attempts";
  EXPECT_EQ(d.state(), SensorState::kFailed);
  EXPECT_TRUE(contains(d.reason(), url)) << d.reason();
  EXPECT_TRUE(contains(d.reason(), "2 failed attempts")) << d.reason();
  EXPECT_FALSE(sink.eos_status().ok());
  EXPECT_EQ(d.stats().reconnects, 2u);
}

TEST(NetworkCameraLifecycle, AMissingSdpFileIsRetriedNamingIt) {
  TempDir dir;
  SensorSpec s = camera_spec(dir.file("nothing.sdp"));
  s.reconnect.max_attempts = 2;
  ManualEnv env;
  NetworkCameraDriver d("cam", s, &env);
  ASSERT_TRUE(d.open().ok());
  RecordingSink sink;
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(env.run_until([&] { return sink.eos_calls() > 0; }, 10s));
  EXPECT_EQ(d.state(), SensorState::kFailed);
  EXPECT_TRUE(contains(d.reason(), "the SDP file " + s.url + " does not exist")) << d.reason();
}

TEST_F(NetworkCamera, HttpMjpegFramesArriveAtTheStreamSize) {
  const int port = free_tcp_port();
  const std::string url = fmt::format("http://127.0.0.1:{}/cam", port);
  ChildProcess server;
  ASSERT_TRUE(server.start(mjpeg_http_args(port), dir_.file("server.log")));
  NetworkCameraDriver d("cam", camera_spec(url));
  ASSERT_TRUE(d.open().ok());
  RecordingSink sink;
  ASSERT_TRUE(d.start(&sink).ok());
  expect_frames(sink, 10);
  EXPECT_TRUE(eventually([&] { return d.state() == SensorState::kRunning; }, 5s)) << d.reason();
  const auto frames = sink.frames();
  for (size_t i = 1; i < frames.size(); ++i) {
    EXPECT_EQ(frames[i]->seq, frames[i - 1]->seq + 1);
    EXPECT_GE(frames[i]->media_ns, frames[i - 1]->media_ns);  // arrival time
  }
  EXPECT_FALSE(frames[0]->discontinuity);
  for (const auto& f : frames) {
    ASSERT_NE(f->source, nullptr);
    EXPECT_EQ(*f->source, url);  // the stream's URL, one string per connection
    EXPECT_EQ(f->source.get(), frames[0]->source.get());
  }
  EXPECT_EQ(d.stats().errors, 0u);
  d.stop();
  EXPECT_EQ(d.state(), SensorState::kStopped);
  EXPECT_EQ(sink.eos_calls(), 1);
  EXPECT_EQ(sink.eos_status().code(), StatusCode::kCancelled);
}

TEST_F(NetworkCamera, FpsCapSkipsFramesToKeepToIt) {
  const int port = free_tcp_port();
  ChildProcess server;
  ASSERT_TRUE(server.start(mjpeg_http_args(port), dir_.file("server.log")));
  SensorSpec s = camera_spec(fmt::format("http://127.0.0.1:{}/cam", port));
  s.video.fps = 8;  // the stream gives about 24
  NetworkCameraDriver d("cam", s);
  ASSERT_TRUE(d.open().ok());
  EXPECT_DOUBLE_EQ(d.info().fps, 8);
  RecordingSink sink;
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(sink.wait_for_frames(1, 10s));
  const auto t0 = sink.frames()[0]->captured;
  ASSERT_TRUE(sink.wait_for_frames(13, 10s));  // 12 periods of 1/8 s after the first
  const auto frames = sink.frames();
  const double span = std::chrono::duration<double>(frames[12]->captured - t0).count();
  EXPECT_GE(span, 12 / 8.0 * 0.8) << "13 frames in " << span << " s: the cap lets too many through";
  EXPECT_GT(d.stats().skipped, 12u);
  EXPECT_EQ(frames[0]->duration_ns, 125'000'000);
  d.stop();
}

TEST_F(NetworkCamera, HttpMjpegServerKilledAndRestartedOnTheSamePort) {
  const int port = free_tcp_port();
  kill_and_restart(fmt::format("http://127.0.0.1:{}/cam", port), [&](ChildProcess& server) {
    ASSERT_TRUE(server.start(mjpeg_http_args(port), dir_.file("server.log")));
  });
}

TEST_F(NetworkCamera, DeclaredSizeThatTheStreamDoesNotHaveFailsNamingBoth) {
  const int port = free_tcp_port();
  ChildProcess server;
  ASSERT_TRUE(server.start(mjpeg_http_args(port), dir_.file("server.log")));
  SensorSpec s = camera_spec(fmt::format("http://127.0.0.1:{}/cam", port));
  s.video.width = 640;
  s.video.height = 480;
  NetworkCameraDriver d("cam", s);
  ASSERT_TRUE(d.open().ok());
  RecordingSink sink;
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(sink.wait_for_end(15s)) << sensor_state_name(d.state()) << ": " << d.reason();
  EXPECT_EQ(d.state(), SensorState::kFailed);
  EXPECT_TRUE(contains(d.reason(), "640x480")) << d.reason();
  EXPECT_TRUE(contains(d.reason(), fmt::format("{}x{}", size_.width, size_.height))) << d.reason();
  EXPECT_TRUE(contains(d.reason(), s.url)) << d.reason();
  EXPECT_EQ(sink.eos_status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(sink.frames().empty());
}

TEST_F(NetworkCamera, UdpMpegTsFramesArriveAndALostSenderIsReconnected) {
  const int port = free_udp_port();
  ASSERT_GT(port, 0);
  const std::string url = fmt::format("udp://127.0.0.1:{}", port);
  const auto args = testing::mpegts_udp_args(port);
  SensorSpec s = camera_spec(url);
  s.reconnect.timeout = 2;  // UDP has no end: the loss is seen when no frame comes for this long
  ChildProcess sender;
  ASSERT_TRUE(sender.start(args, dir_.file("server.log")));
  // Start the driver once the sender sends, so that its first connection does not wait for ffmpeg.
  ASSERT_TRUE(wait_for_datagram(port, 10s)) << "ffmpeg sends nothing: " << read_text(dir_.file("server.log"));
  NetworkCameraDriver d("cam", s);
  ASSERT_TRUE(d.open().ok());
  RecordingSink sink;
  ASSERT_TRUE(d.start(&sink).ok());
  expect_frames(sink, 10);
  EXPECT_TRUE(eventually([&] { return d.state() == SensorState::kRunning; }, 5s)) << d.reason();
  // Joining the stream between two key frames is not a loss, nor bad data.
  EXPECT_EQ(d.stats().reconnects, 0u) << d.reason();
  EXPECT_EQ(d.stats().errors, 0u) << d.reason();

  sender.kill_now();
  ASSERT_TRUE(eventually([&] { return d.state() == SensorState::kReconnecting; }, 8s))
      << sensor_state_name(d.state()) << ": " << d.reason();
  EXPECT_TRUE(contains(d.reason(), url)) << d.reason();
  const size_t before = sink.frames().size();
  ASSERT_TRUE(sender.start(args, dir_.file("server2.log")));
  ASSERT_TRUE(sink.wait_for_frames(before + 3, 15s)) << sensor_state_name(d.state()) << ": " << d.reason();
  EXPECT_TRUE(sink.frames()[before]->discontinuity);
  EXPECT_GT(d.stats().reconnects, 0u);
  d.stop();
  EXPECT_EQ(d.state(), SensorState::kStopped);
}

TEST_F(NetworkCamera, RtpH264WithAnSdpFile) {
  if (!testing::ffmpeg_has_encoder("libx264")) {
    GTEST_SKIP() << "this ffmpeg has no libx264 encoder";
  }
  const int port = free_udp_port(/*with_next=*/true);
  ASSERT_GT(port, 0);
  const std::string sdp = dir_.file("cam.sdp");
  ChildProcess sender;
  ASSERT_TRUE(sender.start(testing::rtp_h264_args(port, sdp), dir_.file("server.log")));
  ASSERT_TRUE(eventually([&] { return contains(read_text(sdp), "m=video"); }, 10s)) << "ffmpeg wrote no SDP file";
  NetworkCameraDriver d("cam", camera_spec(sdp));
  ASSERT_TRUE(d.open().ok());
  RecordingSink sink;
  ASSERT_TRUE(d.start(&sink).ok());
  expect_frames(sink, 10);
  EXPECT_TRUE(eventually([&] { return d.state() == SensorState::kRunning; }, 5s)) << d.reason();
  EXPECT_EQ(d.stats().reconnects, 0u) << d.reason();
  EXPECT_EQ(d.stats().errors, 0u) << d.reason();
  d.stop();
  EXPECT_EQ(d.state(), SensorState::kStopped);
}

// GStreamer's RTSP server serving an MJPEG copy of the sample (RTP/JPEG needs the standard
// Huffman tables, hence the transcode).
class RtspCamera : public NetworkCamera {
 protected:
  void SetUp() override {
    NetworkCamera::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    script_ = testing::rtsp_server_script();
    ASSERT_TRUE(std::filesystem::exists(script_)) << script_;
    if (std::string why = testing::rtsp_server_unavailable(); !why.empty()) GTEST_SKIP() << why;
    media_ = dir_.file("mjpeg.avi");
    const std::string transcode = testing::rtsp_media_command(kMegamind, media_, dir_.file("transcode.log"));
    ASSERT_EQ(std::system(transcode.c_str()), 0) << read_text(dir_.file("transcode.log"));
  }

  // Starts the server on `port` and waits until it listens.
  void start_server(ChildProcess& server, int port, const std::string& log) {
    std::filesystem::remove(log);
    ASSERT_TRUE(server.start(testing::rtsp_server_args(port, media_), log));
    ASSERT_TRUE(eventually([&] { return contains(read_text(log), "READY"); }, 10s) && server.running())
        << "the RTSP server did not start: " << read_text(log);
  }

  std::string script_, media_;
};

TEST_F(RtspCamera, FramesArriveAtTheStreamSize) {
  const int port = free_tcp_port();
  ChildProcess server;
  start_server(server, port, dir_.file("server.log"));
  if (HasFatalFailure()) return;
  const std::string url = fmt::format("rtsp://127.0.0.1:{}/cam", port);
  NetworkCameraDriver d("cam", camera_spec(url));
  ASSERT_TRUE(d.open().ok());
  RecordingSink sink;
  ASSERT_TRUE(d.start(&sink).ok());
  expect_frames(sink, 10);
  EXPECT_TRUE(eventually([&] { return d.state() == SensorState::kRunning; }, 5s)) << d.reason();
  EXPECT_EQ(d.stats().reconnects, 0u);  // the server was up before the driver started
  d.stop();
  EXPECT_EQ(d.state(), SensorState::kStopped);
}

TEST_F(RtspCamera, ServerKilledAndRestartedOnTheSamePort) {
  const int port = free_tcp_port();
  kill_and_restart(fmt::format("rtsp://127.0.0.1:{}/cam", port),
                   [&](ChildProcess& server) { start_server(server, port, dir_.file("server.log")); });
}

// A TCP server on loopback that answers every connection with garbage: either random bytes
// instead of HTTP, or a valid MJPEG multipart stream in which every other part is not a JPEG.
class GarbageServer {
 public:
  enum class Mode { kRandomBytes, kMjpegWithBadParts };

  explicit GarbageServer(Mode mode) : mode_(mode) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 8) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      return;
    }
    port_ = ntohs(a.sin_port);
    cv::Mat img(240, 320, CV_8UC3);
    cv::randu(img, 0, 255);
    cv::GaussianBlur(img, img, {9, 9}, 3);
    cv::imencode(".jpg", img, jpeg_);
    thread_ = std::thread([this] { serve(); });
  }
  ~GarbageServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
  }
  int port() const { return port_; }
  int connections() const { return connections_; }

 private:
  void serve() {
    std::mt19937 rng(42);
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      ++connections_;
      // Read the request (up to its blank line, or what came within 500 ms).
      std::string req;
      const auto until = std::chrono::steady_clock::now() + 500ms;
      while (!contains(req, "\r\n\r\n") && std::chrono::steady_clock::now() < until && !stop_) {
        pollfd q{c, POLLIN, 0};
        if (::poll(&q, 1, 50) <= 0) continue;
        char buf[1024];
        const ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
      }
      if (mode_ == Mode::kRandomBytes) {
        std::string junk(4096, '\0');
        for (auto& b : junk) b = static_cast<char>(rng() & 0xff);
        send_all(c, junk);
      } else {
        send_all(c, "HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace;boundary=ffmpeg\r\n\r\n");
        for (int i = 0; !stop_ && i < 2000; ++i) {
          std::string body;
          if (i % 2 == 0) {
            body.assign(jpeg_.begin(), jpeg_.end());
          } else {
            body.assign(3000, '\0');
            for (auto& b : body) b = static_cast<char>(rng() & 0xff);
            body[0] = '\xff';  // a JPEG start marker, then noise
            body[1] = '\xd8';
          }
          const std::string part = fmt::format("--ffmpeg\r\nContent-type: image/jpeg\r\nContent-length: {}\r\n\r\n",
                                               body.size()) +
                                   body + "\r\n";
          if (!send_all(c, part)) break;
          std::this_thread::sleep_for(20ms);
        }
      }
      ::shutdown(c, SHUT_RDWR);
      ::close(c);
    }
  }
  static bool send_all(int c, const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
      const ssize_t n = ::send(c, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }

  const Mode mode_;
  int fd_ = -1;
  int port_ = -1;
  std::vector<uchar> jpeg_;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

TEST(NetworkCameraGarbage, RandomBytesInsteadOfHttpAreALossNotACrash) {
  GarbageServer server(GarbageServer::Mode::kRandomBytes);
  ASSERT_GT(server.port(), 0);
  const std::string url = fmt::format("http://127.0.0.1:{}/cam", server.port());
  NetworkCameraDriver d("cam", camera_spec(url));
  ASSERT_TRUE(d.open().ok());
  RecordingSink sink;
  ASSERT_TRUE(d.start(&sink).ok());
  ASSERT_TRUE(eventually([&] { return d.stats().reconnects >= 2; }, 10s))
      << sensor_state_name(d.state()) << ": " << d.reason();
  EXPECT_GE(server.connections(), 1);
  EXPECT_TRUE(contains(d.reason(), url)) << d.reason();
  EXPECT_TRUE(sink.frames().empty());
  d.stop();
  EXPECT_EQ(d.state(), SensorState::kStopped);
}

TEST(NetworkCameraGarbage, UndecodablePartsInAnMjpegStreamAreCountedNotFatal) {
  GarbageServer server(GarbageServer::Mode::kMjpegWithBadParts);
  ASSERT_GT(server.port(), 0);
  const std::string url = fmt::format("http://127.0.0.1:{}/cam", server.port());
  NetworkCameraDriver d("cam", camera_spec(url));
  ASSERT_TRUE(d.open().ok());
  RecordingSink sink;
  ASSERT_TRUE(d.start(&sink).ok());
  // The good parts come through at their size; the bad ones are counted as errors and the sensor
  // is degraded, naming the stream, without losing the connection.
  ASSERT_TRUE(sink.wait_for_frames(10, 10s)) << sensor_state_name(d.state()) << ": " << d.reason();
  ASSERT_TRUE(eventually([&] { return d.state() == SensorState::kDegraded; }, 5s))
      << sensor_state_name(d.state()) << ": " << d.reason();
  const std::string why = d.reason();
  EXPECT_TRUE(contains(why, url + ": 1 frame(s) could not be read or decoded")) << why;
  EXPECT_GT(d.stats().errors, 0u);
  EXPECT_EQ(d.stats().reconnects, 0u);
  for (const auto& f : sink.frames()) {
    const auto* m = std::get_if<cv::Mat>(&f->data);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->cols, 320);
    EXPECT_EQ(m->rows, 240);
  }
  d.stop();
  EXPECT_EQ(d.state(), SensorState::kStopped);
}

}  // namespace
}  // namespace sensix
