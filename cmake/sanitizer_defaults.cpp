// Linked into every executable of a SENSIX_SANITIZE build (see CMakeLists.txt).
//
// LeakSanitizer reports what the prebuilt engine libraries allocate once per process and
// never free (ONNX Runtime's and TensorFlow Lite's own static state, outside our control).
// Those reports are suppressed by library name, so a leak of sensix's own allocations still
// fails a test. An engine handle sensix forgot to release would be hidden too (it is allocated
// inside the library): every ORT/TFLite handle is therefore owned by an RAII wrapper.
// The list lives in the binary so `build-asan/sensix` behaves like the tests without any
// environment set up; LSAN_OPTIONS=suppressions=... still adds to it.

extern "C" const char* __lsan_default_suppressions() {  // NOLINT(bugprone-reserved-identifier)
  return "leak:libonnxruntime.so\n"
         "leak:libtensorflowlite_c.so\n";
}

// UBSan: print the stack so a report names the sensix frame, not just the line.
extern "C" const char* __ubsan_default_options() {  // NOLINT(bugprone-reserved-identifier)
  return "print_stacktrace=1";
}
