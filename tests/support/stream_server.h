// The stream servers that the network-camera tests run as child processes (ChildProcess), all
// serving the OpenCV sample video (kMegamind) on loopback: ffmpeg as an HTTP MJPEG server, an
// MPEG-TS over UDP sender and an RTP/H.264 sender with an SDP file; GStreamer's RTSP server
// (tests/support/rtsp_server.py, run by Debian's /usr/bin/python3, which prints READY once it
// listens). These functions build the command lines; the test starts, kills and restarts them.
#pragma once

#include <string>
#include <vector>

namespace sensix::testing {

// ffmpeg, reading the sample in real time and in a loop, writing `output_args`.
std::vector<std::string> ffmpeg_args(const std::vector<std::string>& output_args);

// ffmpeg serving MJPEG over HTTP (multipart) at http://127.0.0.1:port/cam, one client at a time.
std::vector<std::string> mjpeg_http_args(int port);

// ffmpeg sending MPEG-2 video in MPEG-TS to udp://127.0.0.1:port.
std::vector<std::string> mpegts_udp_args(int port);

// ffmpeg sending H.264 over RTP to rtp://127.0.0.1:port (and RTCP on port + 1), writing the SDP
// file that describes the stream to `sdp`.
std::vector<std::string> rtp_h264_args(int port, const std::string& sdp);

// True if this ffmpeg has the encoder `name` (e.g. libx264).
bool ffmpeg_has_encoder(const std::string& name);

// The RTSP server script in the source tree.
std::string rtsp_server_script();

// Why GStreamer's RTSP server cannot run here (the Debian packages to install); empty when it can.
std::string rtsp_server_unavailable();

// A shell command that transcodes `input` to the MJPEG AVI the RTSP server serves (RTP/JPEG needs
// the standard Huffman tables), writing ffmpeg's messages to `log`; it exits 0 on success.
std::string rtsp_media_command(const std::string& input, const std::string& media, const std::string& log);

// The RTSP server serving `media` at rtsp://127.0.0.1:port/cam.
std::vector<std::string> rtsp_server_args(int port, const std::string& media);

}  // namespace sensix::testing
