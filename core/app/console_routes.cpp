#include "app/console_routes.h"

#include <cstddef>
#include <string>
#include <string_view>

namespace vigil::app {

namespace {

std::string content_type_of(std::string_view name) {
  if (name.ends_with(".html")) return "text/html; charset=utf-8";
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  return "application/octet-stream";
}

http::Response asset_response(const ConsoleAsset& a) {
  http::Response r{200, content_type_of(a.name), std::string(reinterpret_cast<const char*>(a.data), a.size)};
  r.headers = {
      {"Content-Security-Policy",
       "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"X-Frame-Options", "DENY"},
      {"Cache-Control", "no-cache"},
  };
  return r;
}

}  // namespace

void add_console_routes(http::Router& router) {
  router.add("GET", "/ui", [](const http::Request&) {
    http::Response r{301, "text/plain; charset=utf-8", "the console is at /ui/\n"};
    r.headers = {{"Location", "/ui/"}};
    return r;
  });
  for (size_t i = 0; i < kConsoleAssetCount; ++i) {
    const ConsoleAsset& a = kConsoleAssets[i];
    const std::string name(a.name);
    router.add("GET", name == "index.html" ? "/ui/" : "/ui/" + name,
               [response = asset_response(a)](const http::Request&) { return response; });
  }
}

}  // namespace vigil::app
