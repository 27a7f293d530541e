// The web console: static files compiled into vigil (core/app/console/), served under /ui/ with
// a strict Content-Security-Policy (no inline script or style, nothing from other origins). The
// pages talk only to vigil's own JSON API.
#pragma once

#include <cstddef>

#include "http/http_server.h"

namespace vigil::app {

// One compiled-in file; the table is generated from core/app/console/ (console_assets.cpp).
struct ConsoleAsset {
  const char* name;  // file name, e.g. "console.js"
  const unsigned char* data;
  size_t size;
};
extern const ConsoleAsset kConsoleAssets[];
extern const size_t kConsoleAssetCount;

void add_console_routes(http::Router& router);

}  // namespace vigil::app
