// Compiles vigil/plugin.h and vigil/plugin.hpp as C++ with -Werror.
#include <vigil/plugin.h>
#include <vigil/plugin.hpp>

static_assert(offsetof(vigil_plugin_entry_t, name) == 8, "the entry's first four fields never move");
static_assert(sizeof(vigil_str) == 2 * sizeof(void*), "vigil_str is (ptr, len)");
