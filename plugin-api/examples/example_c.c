/* example_c: a complete collector in plain C99. It emits
 *   example_c_random{stream="<stream>"}  a pseudo-random gauge in [0, 1)
 * Settings: stream (string, required), seed (integer, default 1). */
#include <stdlib.h>
#include <string.h>
#include <vigil/plugin.h>

typedef struct {
  const vigil_host_v1* host;
  vigil_ctx* ctx;
  char stream[64];
  uint64_t state;
} example_c_t;

static vigil_status create(const vigil_host_v1* host, vigil_ctx* ctx, vigil_instance** out) {
  vigil_str stream;
  int64_t seed = 1;
  vigil_status st = host->cfg_string(ctx, "stream", &stream);
  if (st == VIGIL_E_NOT_FOUND) return host->fail(ctx, VIGIL_E_CONFIG, "\"stream\" is required, e.g. stream = \"a\"");
  if (st != VIGIL_OK) return st; /* the host already said what is wrong */
  if (stream.len == 0 || stream.len >= 64) return host->fail(ctx, VIGIL_E_CONFIG, "\"stream\" must be 1 to 63 bytes");
  st = host->cfg_int(ctx, "seed", &seed);
  if (st != VIGIL_OK && st != VIGIL_E_NOT_FOUND) return st;

  example_c_t* self = calloc(1, sizeof *self);
  if (!self) return VIGIL_E_NOMEM;
  self->host = host;
  self->ctx = ctx;
  memcpy(self->stream, stream.ptr, stream.len); /* copy: config strings are borrowed */
  self->state = (uint64_t)seed;
  *out = self;
  return VIGIL_OK;
}

static void destroy(vigil_instance* inst) {
  free(inst);
}

static vigil_status collect(vigil_instance* inst, int64_t deadline_mono_ns) {
  example_c_t* self = inst;
  vigil_label label;
  vigil_sample s;
  (void)deadline_mono_ns;
  self->state = self->state * 6364136223846793005ULL + 1442695040888963407ULL;
  label.name.ptr = "stream";
  label.name.len = 6;
  label.value.ptr = self->stream;
  label.value.len = strlen(self->stream);
  memset(&s, 0, sizeof s);
  s.struct_size = sizeof s;
  s.type = VIGIL_METRIC_GAUGE;
  s.name.ptr = "example_c_random";
  s.name.len = strlen(s.name.ptr);
  s.help.ptr = "A pseudo-random number in [0, 1).";
  s.help.len = strlen(s.help.ptr);
  s.labels = &label;
  s.n_labels = 1;
  s.value = (double)(self->state >> 11) / 9007199254740992.0;
  return self->host->emit(self->ctx, &s);
}

static const vigil_collector_v1 collector = {{sizeof(vigil_lifecycle), create, NULL, NULL, destroy}, collect};

static const void* get_interface(const char* id) {
  return strcmp(id, VIGIL_IFACE_COLLECTOR) == 0 ? &collector : NULL;
}

static const char* const provides[] = {VIGIL_IFACE_COLLECTOR, NULL};
static const vigil_config_key schema[] = {
    {"stream", VIGIL_CFG_STRING, NULL, 1, "name of the random stream (label value)"},
    {"seed", VIGIL_CFG_INT, "1", 0, "generator seed"},
    {NULL, 0, NULL, 0, NULL},
};

const vigil_plugin_entry_t vigil_plugin_entry = {VIGIL_ABI_MAJOR,
                                                 VIGIL_ABI_MINOR,
                                                 sizeof(vigil_plugin_entry_t),
                                                 "example_c",
                                                 "1.0.0",
                                                 "Example C99 collector: a pseudo-random gauge",
                                                 provides,
                                                 NULL,
                                                 NULL,
                                                 get_interface,
                                                 schema};
