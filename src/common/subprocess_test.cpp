// run_process on real programs: output streamed to the caller, exit codes, standard error kept for the
// message, a program that runs past its time limit killed (with what it started), one that is not
// installed named, and a caller that stops the output stopping the program.
#include "common/subprocess.h"

#include <chrono>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sensix {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

TEST(Subprocess, StreamsItsOutputAndGivesItsExitCode) {
  std::string out;
  ProcessOptions o;
  o.on_output = [&](std::span<const char> data) {
    out.append(data.data(), data.size());
    return Status::Ok();
  };
  Result<ProcessResult> r = run_process({"sh", "-c", "printf 'one\\ntwo\\n'; echo oops >&2; exit 3"}, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(out, "one\ntwo\n");
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->error_output, "oops\n");
}

TEST(Subprocess, RunsInItsFolderWithNoInput) {
  std::string out;
  ProcessOptions o;
  o.cwd = "/usr";
  o.on_output = [&](std::span<const char> data) {
    out.append(data.data(), data.size());
    return Status::Ok();
  };
  Result<ProcessResult> r = run_process({"sh", "-c", "pwd; cat"}, o);  // cat reads /dev/null: ends at once
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(out, "/usr\n");
  EXPECT_EQ(r->exit_code, 0);
}

TEST(Subprocess, APastItsTimeLimitIsKilledWithWhatItStarted) {
  ProcessOptions o;
  o.timeout = 300ms;
  const auto t0 = std::chrono::steady_clock::now();
  // The shell's child (sleep) holds the pipes open: it must be killed too, or the call would wait 30 s.
  Result<ProcessResult> r = run_process({"sh", "-c", "sleep 30; echo done"}, o);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr("did not finish"));
}

TEST(Subprocess, NamesAProgramThatIsNotInstalled) {
  Result<ProcessResult> r = run_process({"sensix-no-such-program", "--help"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr("sensix-no-such-program"));
  EXPECT_THAT(r.status().message(), HasSubstr("not installed"));
}

TEST(Subprocess, ACallerThatStopsTheOutputStopsTheProgram) {
  ProcessOptions o;
  o.on_output = [](std::span<const char>) { return ResourceExhausted("enough"); };
  const auto t0 = std::chrono::steady_clock::now();
  Result<ProcessResult> r = run_process({"sh", "-c", "while true; do echo x; done"}, o);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace sensix
