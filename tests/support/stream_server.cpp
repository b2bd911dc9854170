#include "support/stream_server.h"

#include <cstdlib>

#include <fmt/format.h>

#include "support/paths.h"

namespace sensix::testing {
namespace {

const char* const kSystemPython = "/usr/bin/python3";  // Debian's, where python3-gi is installed

}  // namespace

std::vector<std::string> ffmpeg_args(const std::vector<std::string>& output_args) {
  std::vector<std::string> a{"ffmpeg",       "-nostdin", "-hide_banner", "-loglevel", "error", "-re",
                             "-stream_loop", "-1",       "-i",           kMegamind,   "-an"};
  a.insert(a.end(), output_args.begin(), output_args.end());
  return a;
}

std::vector<std::string> mjpeg_http_args(int port) {
  return ffmpeg_args(
      {"-c:v", "mjpeg", "-q:v", "5", "-f", "mpjpeg", "-listen", "1", fmt::format("http://127.0.0.1:{}/cam", port)});
}

std::vector<std::string> mpegts_udp_args(int port) {
  return ffmpeg_args({"-c:v", "mpeg2video", "-q:v", "5", "-g", "12", "-f", "mpegts",
                      fmt::format("udp://127.0.0.1:{}?pkt_size=1316", port)});
}

std::vector<std::string> rtp_h264_args(int port, const std::string& sdp) {
  return ffmpeg_args({"-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "12", "-f", "rtp",
                      "-sdp_file", sdp, fmt::format("rtp://127.0.0.1:{}", port)});
}

bool ffmpeg_has_encoder(const std::string& name) {
  return std::system(fmt::format("ffmpeg -hide_banner -encoders 2>/dev/null | grep -q {}", name).c_str()) == 0;
}

std::string rtsp_server_script() { return source_path("tests/support/rtsp_server.py"); }

std::string rtsp_server_unavailable() {
  const std::string probe = std::string(kSystemPython) +
                            " -c \"import gi; gi.require_version('GstRtspServer', '1.0'); "
                            "from gi.repository import Gst, GstRtspServer; Gst.init(None); "
                            "assert Gst.ElementFactory.find('rtpjpegpay') and Gst.ElementFactory.find('avidemux')\""
                            " >/dev/null 2>&1";
  if (std::system(probe.c_str()) == 0) return "";
  return fmt::format(
      "GStreamer's RTSP server is not usable from {}: apt-get install python3-gi gir1.2-gst-rtsp-server-1.0 "
      "gstreamer1.0-plugins-base gstreamer1.0-plugins-good",
      kSystemPython);
}

std::string rtsp_media_command(const std::string& input, const std::string& media, const std::string& log) {
  return fmt::format(
      "ffmpeg -nostdin -hide_banner -loglevel error -y -i {} -an -c:v mjpeg -huffman default -pix_fmt yuvj420p "
      "-q:v 5 {} >{} 2>&1",
      input, media, log);
}

std::vector<std::string> rtsp_server_args(int port, const std::string& media) {
  return {kSystemPython, rtsp_server_script(), "--port", std::to_string(port), "--file", media};
}

}  // namespace sensix::testing
