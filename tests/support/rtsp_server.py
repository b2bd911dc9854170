#!/usr/bin/python3
"""A real RTSP server on loopback for sensix's network-camera tests (GStreamer's gst-rtsp-server).

Serves an MJPEG AVI file (e.g. made with `ffmpeg -i in.avi -an -c:v mjpeg -huffman default
-pix_fmt yuvj420p out.avi`: RTP/JPEG needs the standard Huffman tables) as RTP/JPEG at
rtsp://127.0.0.1:PORT/PATH, each client from the start of the file, in real time. Needs the Debian
packages python3-gi, gir1.2-gst-rtsp-server-1.0, gstreamer1.0-plugins-base and
gstreamer1.0-plugins-good. Prints "READY <port>" on stdout once it listens; runs until killed.

usage: rtsp_server.py --port PORT --file MJPEG.avi [--path /cam]
"""
import argparse
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--file", required=True)
    ap.add_argument("--path", default="/cam")
    args = ap.parse_args()

    Gst.init(None)
    for element in ("filesrc", "avidemux", "rtpjpegpay", "queue"):
        if Gst.ElementFactory.find(element) is None:
            print(f"missing GStreamer element {element}", file=sys.stderr)
            return 2

    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    location = args.file.replace("\\", "\\\\").replace('"', '\\"')
    factory.set_launch(f'( filesrc location="{location}" ! avidemux ! queue ! rtpjpegpay name=pay0 pt=26 )')
    factory.set_shared(False)
    server.get_mount_points().add_factory(args.path, factory)
    if server.attach(None) == 0:
        print(f"cannot listen on 127.0.0.1:{args.port}", file=sys.stderr)
        return 1
    print(f"READY {server.get_bound_port()}", flush=True)
    GLib.MainLoop().run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
