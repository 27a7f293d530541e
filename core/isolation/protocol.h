// The messages between the agent and vigil-plugin-host, on top of wire.h's frames.
//
// The agent asks, the host answers; one request is in flight at a time:
//   create {plugin path, log level, memory limit, settings}  -> reply
//   start                                                    -> reply
//   collect {deadline}                                       -> collected   (collectors)
//   deliver {deadline, notifications}                        -> delivered   (notifiers)
//   stop                                                     -> reply, then the host exits
// A request to stop a running collect() is SIGUSR1 to the host (it sets should_stop() and
// nothing else, so it is safe inside a signal handler). The host writes its log lines and
// anything the plugin prints to its stderr, which the agent reads (isolated_collector.cpp).
//
// The agent trusts nothing it decodes from the host: the host runs plugin code.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/settings.h"
#include "isolation/wire.h"
#include "metrics/sample.h"
#include "plugin_host/notifier_instance.h"

namespace vigil::isolation {

enum MessageType : uint16_t {
  kCreate = 1,
  kStart = 2,
  kCollect = 3,
  kStop = 4,
  kDeliver = 5,
  kReply = 100,
  kCollected = 101,
  kDelivered = 102,
};

// Frames from the host are at most this long (about 500,000 samples of a few labels); a longer
// one is a broken protocol and ends the host.
inline constexpr size_t kMaxHostFrame = 64u << 20;

struct CreateRequest {
  std::string plugin_path;
  std::string log_level;      // "info", ...
  uint64_t memory_limit = 0;  // bytes of address space (RLIMIT_AS); 0: none
  config::InstanceSettings settings;
};
std::string encode(const CreateRequest& r);
bool decode(std::string_view payload, CreateRequest& r);

struct Reply {
  bool ok = true;
  std::string error;
};
std::string encode(const Reply& r);
bool decode(std::string_view payload, Reply& r);

struct CollectRequest {
  int64_t deadline_mono_ns = 0;  // CLOCK_MONOTONIC, shared by both processes
};
std::string encode(const CollectRequest& r);
bool decode(std::string_view payload, CollectRequest& r);

struct Collected {
  uint8_t result = 0;  // plugin_host::CollectOutcome::Result
  std::string error;
  double seconds = 0;
  uint64_t invalid_samples = 0;
  bool over_sample_limit = false;
  std::vector<metrics::Sample> samples;
};
std::string encode(const Collected& c);
bool decode(std::string_view payload, Collected& c, size_t max_samples);

// A batch for a notifier's deliver(): each notification in vigil's own JSON (what the outbox
// stores) with its rendered title, body and webhook JSON.
struct DeliverRequest {
  int64_t deadline_mono_ns = 0;
  std::vector<plugin_host::RenderedNotification> batch;
};
std::string encode(const DeliverRequest& r);
bool decode(std::string_view payload, DeliverRequest& r);

// One result per notification of the batch, in order, and what the plugin emitted meanwhile.
struct Delivered {
  std::vector<plugin_host::DeliveryResult> results;
  std::vector<metrics::Sample> samples;
};
std::string encode(const Delivered& d);
bool decode(std::string_view payload, Delivered& d, size_t max_results, size_t max_samples);

}  // namespace vigil::isolation
