// Samples on the wire: what an isolated collector's host process sends back from collect().
// A collection of 10,000 samples is one frame, so it costs one round trip.
//
// The decoder trusts nothing: counts are checked against the bytes left before anything is
// allocated, types must be known, and the caller still validates each sample
// (metrics::normalize) as it would a plugin's emit, since the host process runs plugin code.
#pragma once

#include <cstddef>
#include <vector>

#include "isolation/wire.h"
#include "metrics/sample.h"

namespace vigil::isolation {

void encode_samples(Encoder& e, const std::vector<metrics::Sample>& samples);
// False when the input is not a sample list (truncated, an unknown type, a lying count) or
// holds more than max_samples; `out` is then unspecified.
bool decode_samples(Decoder& d, std::vector<metrics::Sample>& out, size_t max_samples);

}  // namespace vigil::isolation
