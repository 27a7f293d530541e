// example_cpp: a complete collector in C++ with vigil/plugin.hpp. It emits
//   example_cpp_file_bytes{path="<path>"}  the size of a file
// Settings: path (string, required). A missing file is a retryable error.
#include <sys/stat.h>

#include <string>
#include <vigil/plugin.hpp>

namespace {

class FileSize {
 public:
  explicit FileSize(vigil::sdk::Context& ctx) {
    auto p = ctx.get_string("path");
    if (!p || p->empty())
      throw vigil::sdk::Error(VIGIL_E_CONFIG, "\"path\" is required, e.g. path = \"/var/log/app.log\"");
    path_ = *p;
  }

  void collect(vigil::sdk::Context& ctx, int64_t /*deadline*/) {
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0) throw vigil::sdk::Error(VIGIL_E_UNAVAILABLE, "cannot stat " + path_);
    ctx.gauge("example_cpp_file_bytes", static_cast<double>(st.st_size), {{"path", path_}}, "Size of the file.");
  }

 private:
  std::string path_;
};

const vigil_config_key kSchema[] = {{"path", VIGIL_CFG_STRING, nullptr, 1, "file to measure"},
                                    {nullptr, 0, nullptr, 0, nullptr}};

}  // namespace

VIGIL_CPP_COLLECTOR(FileSize, "example_cpp", "1.0.0", "Example C++ collector: the size of a file", kSchema);
