/* Compiles vigil/plugin.h as strict C99 (-std=c99 -pedantic-errors -Werror). */
#include <vigil/plugin.h>

typedef char entry_prefix_is_stable[offsetof(vigil_plugin_entry_t, name) == 8 ? 1 : -1];
typedef char sample_starts_with_size[offsetof(vigil_sample, struct_size) == 0 ? 1 : -1];
