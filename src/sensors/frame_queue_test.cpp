#include "sensors/frame_queue.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/env.h"

namespace sensix {
namespace {

using namespace std::chrono_literals;

FramePtr make_frame(uint64_t seq) {
  auto f = std::make_shared<Frame>();
  f->seq = seq;
  f->data = AudioChunk{16000, 1, std::vector<float>(4, static_cast<float>(seq))};
  return f;
}

TEST(FrameQueue, DropOldestCountsDropsAndKeepsTheNewest) {
  FrameQueue q(3, Overflow::kDropOldest);
  for (uint64_t i = 0; i < 10; ++i) EXPECT_TRUE(q.push(make_frame(i)));  // never waits
  EXPECT_EQ(q.size(), 3u);
  EXPECT_EQ(q.pushed(), 10u);
  EXPECT_EQ(q.dropped(), 7u);
  for (uint64_t want : {7u, 8u, 9u}) {
    FramePtr f = q.pop(0ms);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->seq, want);
  }
  EXPECT_EQ(q.pop(0ms), nullptr);
}

TEST(FrameQueue, BlockModeMakesTheProducerWaitUntilAConsumerDrains) {
  FrameQueue q(2, Overflow::kBlock);
  std::atomic<int> accepted{0};
  std::thread producer([&] {
    for (uint64_t i = 0; i < 20; ++i) {
      if (q.push(make_frame(i))) ++accepted;
    }
  });
  // Nobody pops yet: the producer can place two frames and must then wait.
  std::this_thread::sleep_for(150ms);
  EXPECT_EQ(accepted.load(), 2);
  EXPECT_EQ(q.size(), 2u);

  std::vector<uint64_t> got;
  std::thread consumer([&] {
    while (got.size() < 20) {
      FramePtr f = q.pop(5000ms);
      if (!f) break;
      got.push_back(f->seq);
    }
  });
  producer.join();
  consumer.join();
  EXPECT_EQ(accepted.load(), 20);
  EXPECT_EQ(q.dropped(), 0u);
  ASSERT_EQ(got.size(), 20u);
  for (uint64_t i = 0; i < 20; ++i) EXPECT_EQ(got[i], i);  // lossless and in order
}

TEST(FrameQueue, CloseUnblocksAWaitingProducer) {
  FrameQueue q(1, Overflow::kBlock);
  ASSERT_TRUE(q.push(make_frame(0)));
  std::atomic<int> result{-1};
  std::thread producer([&] { result = q.push(make_frame(1)) ? 1 : 0; });
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(result.load(), -1);  // still waiting for room
  q.close();
  producer.join();
  EXPECT_EQ(result.load(), 0);
  EXPECT_EQ(q.pushed(), 1u);
  EXPECT_EQ(q.dropped(), 0u);  // a refused push is not a drop
}

TEST(FrameQueue, CloseUnblocksAWaitingConsumer) {
  ManualEnv env;
  FrameQueue q(4, Overflow::kDropOldest, &env);
  std::atomic<bool> got_null{false};
  auto t0 = std::chrono::steady_clock::now();
  std::thread consumer([&] { got_null = q.pop(30s) == nullptr; });
  ASSERT_TRUE(env.await_blocked(1));  // the consumer waits, with its 30 s timeout on the clock
  EXPECT_EQ(env.next_deadline(), ManualEnv::kStart + 30s);
  q.close();
  consumer.join();
  EXPECT_TRUE(got_null.load());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);  // woken, not timed out
  EXPECT_EQ(env.now(), ManualEnv::kStart) << "woken by close(), not by the clock";
}

TEST(FrameQueue, PopTimesOutWhenTheClockPassesItsTimeoutAndTakesAFrameThatCameBefore) {
  ManualEnv env;
  FrameQueue q(4, Overflow::kDropOldest, &env);
  std::atomic<int> result{-1};  // 0: nullptr, else the frame's seq + 1
  std::thread consumer([&] {
    FramePtr f = q.pop(100ms);
    result = f ? static_cast<int>(f->seq) + 1 : 0;
  });
  ASSERT_TRUE(env.await_blocked(1));
  env.advance(99ms);
  EXPECT_EQ(result.load(), -1) << "still within its timeout";
  env.advance(1ms);
  consumer.join();
  EXPECT_EQ(result.load(), 0) << "timed out on the clock";

  std::thread consumer2([&] {
    FramePtr f = q.pop(100ms);
    result = f ? static_cast<int>(f->seq) + 1 : 0;
  });
  ASSERT_TRUE(env.await_blocked(1));
  ASSERT_TRUE(q.push(make_frame(41)));
  consumer2.join();
  EXPECT_EQ(result.load(), 42);
}

TEST(FrameQueue, CloseDrainsWhatIsLeftThenReturnsNull) {
  FrameQueue q(4, Overflow::kDropOldest);
  ASSERT_TRUE(q.push(make_frame(0)));
  ASSERT_TRUE(q.push(make_frame(1)));
  q.close();
  EXPECT_TRUE(q.closed());
  EXPECT_FALSE(q.push(make_frame(2)));
  EXPECT_EQ(q.dropped(), 0u);
  EXPECT_EQ(q.pushed(), 2u);
  FramePtr a = q.pop(0ms), b = q.pop(0ms);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(a->seq, 0u);
  EXPECT_EQ(b->seq, 1u);
  EXPECT_EQ(q.pop(1000ms), nullptr);
}

TEST(FrameQueue, PopTimesOutOnAnEmptyQueue) {
  FrameQueue q(4, Overflow::kBlock);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(q.pop(50ms), nullptr);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 45ms);
  EXPECT_FALSE(q.closed());
}

TEST(FrameQueue, ZeroCapacityIsTreatedAsOne) {
  FrameQueue q(0, Overflow::kDropOldest);
  EXPECT_EQ(q.capacity(), 1u);
  EXPECT_TRUE(q.push(make_frame(0)));
  EXPECT_TRUE(q.push(make_frame(1)));
  EXPECT_EQ(q.dropped(), 1u);
  EXPECT_EQ(q.pop(0ms)->seq, 1u);
}

TEST(FrameQueue, ManyProducersAndConsumersLoseNothingInBlockMode) {
  FrameQueue q(4, Overflow::kBlock);
  constexpr int kProducers = 4, kPerProducer = 500;
  std::atomic<int> popped{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < kProducers; ++p) {
    threads.emplace_back([&, p] {
      for (int i = 0; i < kPerProducer; ++i)
        ASSERT_TRUE(q.push(make_frame(static_cast<uint64_t>(p * kPerProducer + i))));
    });
  }
  std::vector<std::thread> consumers;
  for (int c = 0; c < 2; ++c) {
    consumers.emplace_back([&] {
      while (q.pop(2000ms)) ++popped;
    });
  }
  for (auto& t : threads) t.join();
  q.close();
  for (auto& t : consumers) t.join();
  EXPECT_EQ(popped.load(), kProducers * kPerProducer);
  EXPECT_EQ(q.dropped(), 0u);
}

}  // namespace
}  // namespace sensix
