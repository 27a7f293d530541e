#pragma once
#include <cstdlib>
#include <string>

inline std::string build_dir() {
  const char* d = std::getenv("VIGIL_BUILD_DIR");
  return d ? d : ".";
}
inline std::string fixture(const std::string& name) {
  return build_dir() + "/tests/fixtures/plugins/" + name + ".so";
}
