// The INFO parser and the INFO -> metrics mapping on a captured reply, config errors, and runs
// against a real redis-server started by the test on 127.0.0.1 (skipped without redis-server).
#include <hiredis/hiredis.h>

#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vigil/plugin.hpp>
#include <vigil/testing/fake_host.hpp>

#include "../../../../tests/support/redis_server.hpp"
#include "../../../../tests/support/require_tool.hpp"

// Defined in redis_collector.cpp (same signatures; a mismatch fails to link).
namespace vigil::redis_info {
using InfoSections = std::map<std::string, std::map<std::string, std::string>>;
InfoSections parse_info(std::string_view text);
std::map<std::string, double> parse_keyspace_entry(std::string_view value);
void emit_info(const vigil::sdk::Context& ctx, const InfoSections& info, const std::string& target, int watched_db);
}  // namespace vigil::redis_info

using vigil::redis_info::emit_info;
using vigil::redis_info::parse_info;
using vigil::redis_info::parse_keyspace_entry;
using vigil::testing::FakeHost;
using vigil::testing::have_redis;
using vigil::testing::RedisServer;

namespace {

// INFO of a replica (Redis 7.0, trimmed), as it comes over the wire: CRLF line ends, a blank
// line between sections, text and empty values, a field this collector does not know, a line
// without a colon, a header without a space, and two databases in Keyspace.
const char* const kReplicaInfo =
    "# Server\r\n"
    "redis_version:7.0.15\r\n"
    "redis_mode:standalone\r\n"
    "os:Linux 6.1.0-18-amd64 x86_64\r\n"
    "executable:/usr/bin/redis-server\r\n"
    "config_file:\r\n"
    "uptime_in_seconds:3605\r\n"
    "\r\n"
    "# Clients\r\n"
    "connected_clients:7\r\n"
    "blocked_clients:2\r\n"
    "\r\n"
    "# Memory\r\n"
    "used_memory:1048576\r\n"
    "used_memory_human:1.00M\r\n"
    "used_memory_rss:4194304\r\n"
    "maxmemory:268435456\r\n"
    "maxmemory_policy:allkeys-lru\r\n"
    "mem_fragmentation_ratio:4.00\r\n"
    "\r\n"
    "# Stats\r\n"
    "total_connections_received:120\r\n"
    "total_commands_processed:98765\r\n"
    "instantaneous_ops_per_sec:42\r\n"
    "rejected_connections:3\r\n"
    "expired_keys:11\r\n"
    "evicted_keys:5\r\n"
    "keyspace_hits:900\r\n"
    "keyspace_misses:100\r\n"
    "some_future_counter:17\r\n"
    "no colon on this line\r\n"
    "\r\n"
    "# Replication\r\n"
    "role:slave\r\n"
    "master_host:10.0.0.5\r\n"
    "master_port:6379\r\n"
    "master_link_status:up\r\n"
    "connected_slaves:0\r\n"
    "\r\n"
    "#Errorstats\r\n"
    "errorstat_ERR:count=1\r\n"
    "\r\n"
    "# Keyspace\r\n"
    "db0:keys=1,expires=0,avg_ttl=0\r\n"
    "db3:keys=250,expires=40,avg_ttl=12500\r\n";

double value(const FakeHost& h, const char* name, std::map<std::string, std::string> labels = {}) {
  const auto* s = h.find(name, labels);
  INFO(name);
  REQUIRE(s != nullptr);
  return s->value;
}

size_t logs_with(const FakeHost& h, const std::string& prefix, const std::string& text) {
  return static_cast<size_t>(std::count_if(h.logs().begin(), h.logs().end(), [&](const std::string& l) {
    return l.rfind(prefix, 0) == 0 && l.find(text) != std::string::npos;
  }));
}

const std::string kWarn = std::to_string(VIGIL_LOG_WARN) + " ";
const std::string kInfo = std::to_string(VIGIL_LOG_INFO) + " ";

// A collector instance on a FakeHost, destroyed with the fixture.
struct Collector {
  FakeHost host;
  vigil_instance* inst = nullptr;
  Collector() = default;
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;
  ~Collector() {
    if (inst) host.destroy(inst);
  }
  void create() {
    inst = host.create_collector(vigil_plugin_entry);
    INFO(host.last_error());
    REQUIRE(inst != nullptr);
  }
  vigil_status collect(std::chrono::nanoseconds budget = std::chrono::seconds(5)) { return host.collect(inst, budget); }
};

// A client of the test's own, to change the server the collector watches.
struct Client {
  std::unique_ptr<redisContext, void (*)(redisContext*)> c{nullptr, &redisFree};
  explicit Client(int port) {
    c.reset(redisConnect("127.0.0.1", port));
    REQUIRE(c);
    REQUIRE(c->err == 0);
  }
  std::string run(const char* cmd) {
    auto* r = static_cast<redisReply*>(redisCommand(c.get(), cmd));
    REQUIRE(r != nullptr);
    std::string out = r->str ? std::string(r->str, static_cast<size_t>(r->len)) : std::to_string(r->integer);
    const bool error = r->type == REDIS_REPLY_ERROR;
    freeReplyObject(r);
    INFO(cmd << " -> " << out);
    REQUIRE_FALSE(error);
    return out;
  }
};

std::string url_for(int port, const std::string& rest = "/0") {
  return "redis://127.0.0.1:" + std::to_string(port) + rest;
}

}  // namespace

TEST_CASE("INFO parser: CRLF lines, sections, values with colons, unknown fields kept", "[redis_info]") {
  const auto info = parse_info(kReplicaInfo);
  CHECK(info.at("server").at("redis_version") == "7.0.15");
  CHECK(info.at("server").at("executable") == "/usr/bin/redis-server");  // split at the first ':'
  CHECK(info.at("server").at("config_file").empty());
  CHECK(info.at("server").at("uptime_in_seconds") == "3605");  // no trailing '\r'
  CHECK(info.at("stats").at("some_future_counter") == "17");
  CHECK(info.at("stats").count("no colon on this line") == 0);
  CHECK(info.at("replication").at("role") == "slave");
  CHECK(info.at("errorstats").at("errorstat_ERR") == "count=1");  // "#Errorstats": lower-cased, no space
  REQUIRE(info.at("keyspace").size() == 2);
  CHECK(info.at("keyspace").at("db3") == "keys=250,expires=40,avg_ttl=12500");
  for (const auto& [section, fields] : info)
    for (const auto& [k, v] : fields) CHECK(v.find('\r') == std::string::npos);

  // LF line ends, no final newline, fields before any header, an empty section.
  const auto lf = parse_info("loose:1\n# Keyspace\n\n# Clients\nconnected_clients:3");
  CHECK(lf.at("").at("loose") == "1");
  CHECK(lf.at("keyspace").empty());
  CHECK(lf.at("clients").at("connected_clients") == "3");
  CHECK(parse_info("").empty());
}

TEST_CASE("Keyspace entries: keys, expires, avg_ttl; junk items skipped", "[redis_info]") {
  CHECK(parse_keyspace_entry("keys=1,expires=0,avg_ttl=0") ==
        std::map<std::string, double>{{"keys", 1}, {"expires", 0}, {"avg_ttl", 0}});
  CHECK(parse_keyspace_entry("keys=250,expires=40,avg_ttl=12500,subexpiry=0") ==
        std::map<std::string, double>{{"keys", 250}, {"expires", 40}, {"avg_ttl", 12500}, {"subexpiry", 0}});
  CHECK(parse_keyspace_entry("keys=x,expires=2,junk,=3,avg_ttl=") == std::map<std::string, double>{{"expires", 2}});
  CHECK(parse_keyspace_entry("").empty());
}

TEST_CASE("a replica's INFO becomes redis_exporter metrics, with role and both databases", "[redis_info]") {
  FakeHost host;
  const vigil::sdk::Context ctx(host.table(), host.ctx());
  emit_info(ctx, parse_info(kReplicaInfo), "cache-1", 5);
  CHECK(value(host, "redis_instance_info", {{"role", "slave"}, {"redis_version", "7.0.15"}}) == 1);
  CHECK(value(host, "redis_master_link_up") == 1);
  CHECK(value(host, "redis_uptime_in_seconds") == 3605);
  CHECK(value(host, "redis_connected_clients") == 7);
  CHECK(value(host, "redis_blocked_clients") == 2);
  CHECK(value(host, "redis_memory_used_bytes") == 1048576);
  CHECK(value(host, "redis_memory_used_rss_bytes") == 4194304);
  CHECK(value(host, "redis_memory_max_bytes") == 268435456);
  CHECK(value(host, "redis_mem_fragmentation_ratio") == 4.0);
  CHECK(value(host, "redis_connections_received_total") == 120);
  CHECK(value(host, "redis_commands_processed_total") == 98765);
  CHECK(value(host, "redis_instantaneous_ops_per_sec") == 42);
  CHECK(value(host, "redis_rejected_connections_total") == 3);
  CHECK(value(host, "redis_expired_keys_total") == 11);
  CHECK(value(host, "redis_evicted_keys_total") == 5);
  CHECK(value(host, "redis_keyspace_hits_total") == 900);
  CHECK(value(host, "redis_keyspace_misses_total") == 100);
  CHECK(value(host, "redis_connected_slaves") == 0);
  CHECK(value(host, "redis_db_keys", {{"db", "db0"}}) == 1);
  CHECK(value(host, "redis_db_keys", {{"db", "db3"}}) == 250);
  CHECK(value(host, "redis_db_keys_expiring", {{"db", "db3"}}) == 40);
  CHECK(value(host, "redis_db_avg_ttl_seconds", {{"db", "db3"}}) == 12.5);
  CHECK(value(host, "redis_db_keys", {{"db", "db5"}}) == 0);  // the watched db, empty so absent from INFO
  CHECK(host.find("redis_commands_processed_total")->type == VIGIL_METRIC_COUNTER);
  CHECK(host.find("redis_keyspace_hits_total")->type == VIGIL_METRIC_COUNTER);
  CHECK(host.find("redis_connected_clients")->type == VIGIL_METRIC_GAUGE);
  for (const auto& s : host.samples()) {
    INFO(s.name);
    CHECK(s.labels.at("target") == "cache-1");
    CHECK(s.name.rfind("redis_", 0) == 0);
    CHECK(s.name.find("future") == std::string::npos);  // unknown fields are not reported
  }

  FakeHost master;
  const vigil::sdk::Context mctx(master.table(), master.ctx());
  emit_info(mctx, parse_info("# Replication\r\nrole:master\r\nconnected_slaves:2\r\n"), "m", 0);
  CHECK(value(master, "redis_instance_info", {{"role", "master"}}) == 1);
  CHECK(value(master, "redis_connected_slaves") == 2);
  CHECK(master.find("redis_master_link_up") == nullptr);
  CHECK(value(master, "redis_db_keys", {{"db", "db0"}}) == 0);
}

TEST_CASE("bad settings are config errors that name the key and the fix", "[redis_info]") {
  const std::pair<const char*, const char*> bad_urls[] = {
      {"http://127.0.0.1:6379", "must start with redis://"},
      {"redis://127.0.0.1:0/0", "port must be 1-65535"},
      {"redis://127.0.0.1:99999/0", "port must be 1-65535"},
      {"redis://127.0.0.1:6379/zero", "must be a number"},
      {"rediss://127.0.0.1:6380/0", "TLS"},
      {"127.0.0.1 6379", "is not a URL"},
  };
  for (const auto& [url, why] : bad_urls) {
    Collector c;
    c.host.set("url", url);
    INFO(url);
    CHECK(c.host.create_collector(vigil_plugin_entry) == nullptr);
    INFO(c.host.last_error());
    CHECK(c.host.last_error().find(std::string("\"url\" = \"") + url + "\"") != std::string::npos);
    CHECK(c.host.last_error().find(why) != std::string::npos);
    CHECK(c.host.last_error().find("e.g.") != std::string::npos);
  }
  {
    Collector c;  // the password never shows up in a message
    c.host.set("url", "redis://:s3cret@127.0.0.1:6379/x");
    CHECK(c.host.create_collector(vigil_plugin_entry) == nullptr);
    CHECK(c.host.last_error().find("s3cret") == std::string::npos);
    CHECK(c.host.last_error().find("redis://***@127.0.0.1:6379/x") != std::string::npos);
  }
  {
    Collector c;  // not even one with an unencoded '/' that makes the URL unparsable
    c.host.set("url", "redis://:pa/ss@127.0.0.1:6379/0");
    CHECK(c.host.create_collector(vigil_plugin_entry) == nullptr);
    INFO(c.host.last_error());
    CHECK(c.host.last_error().find("ss@") == std::string::npos);
    CHECK(c.host.last_error().find("\"url\" = \"redis://***@127.0.0.1:6379/0\"") != std::string::npos);
  }
  {
    Collector c;
    c.host.set_duration("connect_timeout", std::chrono::nanoseconds(0));
    CHECK(c.host.create_collector(vigil_plugin_entry) == nullptr);
    CHECK(c.host.last_error().find("\"connect_timeout\" must be longer than 0, e.g. connect_timeout = \"1s\"") !=
          std::string::npos);
  }
  {
    Collector c;
    c.host.set("command_timeout", "fast");
    CHECK(c.host.create_collector(vigil_plugin_entry) == nullptr);
    CHECK(c.host.last_error().find("\"command_timeout\" must be a duration such as \"1s\"") != std::string::npos);
  }
  {
    Collector c;
    c.host.set("target_label", "");
    CHECK(c.host.create_collector(vigil_plugin_entry) == nullptr);
    CHECK(c.host.last_error().find("\"target_label\" must not be empty") != std::string::npos);
  }
  {
    Collector c;  // every key has a default
    c.create();
  }
}

TEST_CASE("a server that accepts but never answers is down within command_timeout or the deadline", "[redis_info]") {
  // Listening, never accepting: the kernel completes the connect, nobody ever replies.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = vigil::testing::loopback_address(0);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::listen(fd, 16) == 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  const int port = ntohs(a.sin_port);
  {
    Collector c;
    c.host.set("url", url_for(port));
    c.host.set_duration("command_timeout", std::chrono::milliseconds(200));
    c.create();
    const auto t0 = std::chrono::steady_clock::now();
    REQUIRE(c.collect() == VIGIL_OK);
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
    CHECK(value(c.host, "redis_up") == 0);
    CHECK(logs_with(c.host, kWarn,
                    "PING to 127.0.0.1:" + std::to_string(port) + " failed: no reply within 200ms (command_timeout)") ==
          1);
  }
  {
    Collector c;  // a long command_timeout is cut short by the collection deadline
    c.host.set("url", url_for(port));
    c.host.set_duration("command_timeout", std::chrono::seconds(30));
    c.create();
    const auto t0 = std::chrono::steady_clock::now();
    REQUIRE(c.collect(std::chrono::milliseconds(300)) == VIGIL_OK);
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
    CHECK(value(c.host, "redis_up") == 0);
    CHECK(logs_with(c.host, kWarn, "(what the collection deadline left)") == 1);
  }
  ::close(fd);
}

TEST_CASE("a server answering with a huge array header is refused without allocating for it", "[redis_info]") {
  // "*1111111112\r\n" made hiredis allocate 8.9 GB for the element table before reading one
  // element (found by fuzz/redis_reply): thirteen bytes from a lying server killed the agent.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = vigil::testing::loopback_address(0);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::listen(fd, 16) == 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  const int port = ntohs(a.sin_port);
  std::thread liar([fd] {
    const int conn = ::accept(fd, nullptr, nullptr);
    if (conn < 0) return;
    char buf[512];
    if (::recv(conn, buf, sizeof buf, 0) > 0) {
      const std::string reply = "*1111111112\r\n:1\r\n";
      (void)::send(conn, reply.data(), reply.size(), MSG_NOSIGNAL);
    }
    while (::recv(conn, buf, sizeof buf, 0) > 0) {
    }
    ::close(conn);
  });
  {
    Collector c;
    c.host.set("url", url_for(port));
    c.create();
    REQUIRE(c.collect() == VIGIL_OK);
    CHECK(value(c.host, "redis_up") == 0);
    CHECK(logs_with(c.host, kWarn,
                    "PING to 127.0.0.1:" + std::to_string(port) +
                        " failed: the server sent an array of 1111111112 elements, more than the 1048576 accepted") ==
          1);
  }  // the collector's connection closes: the liar's recv returns 0
  liar.join();
  ::close(fd);
}

TEST_CASE("a real redis-server: values appear, keys and hits rise between runs", "[redis_info]") {
  VIGIL_REQUIRE_TOOL(have_redis(), "redis-server");
  RedisServer redis(vigil::testing::free_port());
  REQUIRE(vigil::testing::can_connect(redis.port));
  const std::string target = "127.0.0.1:" + std::to_string(redis.port);
  Collector c;
  c.host.set("url", url_for(redis.port));
  c.create();
  REQUIRE(c.collect() == VIGIL_OK);
  CHECK(value(c.host, "redis_up", {{"target", target}}) == 1);
  CHECK(value(c.host, "redis_ping_seconds") > 0);
  CHECK(value(c.host, "redis_ping_seconds") < 1);
  CHECK(value(c.host, "redis_instance_info", {{"role", "master"}}) == 1);
  CHECK(value(c.host, "redis_memory_used_bytes") > 0);
  CHECK(value(c.host, "redis_uptime_in_seconds") >= 0);
  CHECK(value(c.host, "redis_connected_clients") >= 1);  // the collector itself
  CHECK(value(c.host, "redis_db_keys", {{"db", "db0"}}) == 0);
  for (const auto& s : c.host.samples()) CHECK(s.labels.at("target") == target);
  const double hits = value(c.host, "redis_keyspace_hits_total");
  const double misses = value(c.host, "redis_keyspace_misses_total");
  const double commands = value(c.host, "redis_commands_processed_total");
  const double accepted = value(c.host, "redis_connections_received_total");

  Client client(redis.port);
  client.run("SET a 1");
  client.run("SET b 2");
  client.run("SET c 3 EX 600");
  client.run("GET a");
  client.run("GET b");
  client.run("GET absent");
  REQUIRE(c.collect() == VIGIL_OK);
  CHECK(value(c.host, "redis_up") == 1);
  CHECK(value(c.host, "redis_db_keys", {{"db", "db0"}}) == 3);
  CHECK(value(c.host, "redis_db_keys_expiring", {{"db", "db0"}}) == 1);
  CHECK(value(c.host, "redis_keyspace_hits_total") == hits + 2);
  CHECK(value(c.host, "redis_keyspace_misses_total") == misses + 1);
  CHECK(value(c.host, "redis_commands_processed_total") > commands + 6);
  CHECK(value(c.host, "redis_connections_received_total") >= accepted + 2);  // the client's and the collector's
  CHECK(value(c.host, "redis_connected_clients") >= 2);
  CHECK(c.host.logs().empty());
}

TEST_CASE("a killed server is redis_up 0, logged once per outage; after a restart it is up again", "[redis_info]") {
  VIGIL_REQUIRE_TOOL(have_redis(), "redis-server");
  RedisServer redis(vigil::testing::free_port());
  REQUIRE(vigil::testing::can_connect(redis.port));
  const std::string where = url_for(redis.port);
  Collector c;
  c.host.set("url", where);
  c.host.set_duration("connect_timeout", std::chrono::milliseconds(200));
  c.create();
  REQUIRE(c.collect() == VIGIL_OK);
  CHECK(value(c.host, "redis_up") == 1);

  redis.stop();
  for (int i = 0; i < 3; ++i) {
    REQUIRE(c.collect() == VIGIL_OK);
    CHECK(value(c.host, "redis_up") == 0);
    CHECK(c.host.samples().size() == 1);  // nothing stale besides redis_up
  }
  CHECK(logs_with(c.host, kWarn, "Redis at " + where + " is down: cannot connect to 127.0.0.1:") == 1);
  CHECK(logs_with(c.host, kWarn, "") == 1);

  redis.start();
  REQUIRE(vigil::testing::can_connect(redis.port));
  REQUIRE(c.collect() == VIGIL_OK);
  CHECK(value(c.host, "redis_up") == 1);
  CHECK(value(c.host, "redis_uptime_in_seconds") < 60);
  CHECK(logs_with(c.host, kInfo, "Redis at " + where + " answers again") == 1);

  redis.stop();  // a new outage is logged again
  REQUIRE(c.collect() == VIGIL_OK);
  CHECK(value(c.host, "redis_up") == 0);
  CHECK(logs_with(c.host, kWarn, "is down") == 2);
}

TEST_CASE("AUTH and SELECT come from the url; a wrong password is down, not a crash", "[redis_info]") {
  VIGIL_REQUIRE_TOOL(have_redis(), "redis-server");
  RedisServer redis(vigil::testing::free_port());
  REQUIRE(vigil::testing::can_connect(redis.port));
  Client client(redis.port);
  client.run("CONFIG SET requirepass pw-for-test");  // this connection stays authenticated
  client.run("SELECT 2");
  client.run("SET k v");
  {
    Collector c;
    c.host.set("url", url_for(redis.port));
    c.create();
    REQUIRE(c.collect() == VIGIL_OK);
    CHECK(value(c.host, "redis_up") == 0);
    CHECK(logs_with(c.host, kWarn, "PING was refused: NOAUTH") == 1);
  }
  {
    Collector c;
    c.host.set("url", url_for(redis.port, "/2").replace(0, 8, "redis://:wrong-pw@"));
    c.create();
    REQUIRE(c.collect() == VIGIL_OK);
    CHECK(value(c.host, "redis_up") == 0);
    CHECK(logs_with(c.host, kWarn, "AUTH was refused") == 1);
    CHECK(logs_with(c.host, kWarn, "check the user and password in \"url\"") == 1);
    CHECK(logs_with(c.host, kWarn, "wrong-pw") == 0);
  }
  {
    Collector c;
    c.host.set("url", "redis://:pw-for-test@127.0.0.1:" + std::to_string(redis.port) + "/2");
    c.host.set("target_label", "sessions");
    c.create();
    REQUIRE(c.collect() == VIGIL_OK);
    CHECK(value(c.host, "redis_up", {{"target", "sessions"}}) == 1);
    CHECK(value(c.host, "redis_db_keys", {{"db", "db2"}}) == 1);
  }
  {
    Collector c;  // SELECT of a database the server does not have
    c.host.set("url", "redis://:pw-for-test@127.0.0.1:" + std::to_string(redis.port) + "/999");
    c.create();
    REQUIRE(c.collect() == VIGIL_OK);
    CHECK(value(c.host, "redis_up") == 0);
    CHECK(logs_with(c.host, kWarn, "SELECT was refused") == 1);
    CHECK(logs_with(c.host, kWarn, "check the database in \"url\"") == 1);
  }
}
