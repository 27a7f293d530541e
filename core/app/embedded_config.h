// The default configuration (configs/vigil.toml), compiled into the binary.
#pragma once

namespace vigil::app {
const char* embedded_default_config();
}
