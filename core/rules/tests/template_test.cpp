#include "rules/template.h"

#include <catch2/catch_test_macros.hpp>

using namespace vigil::rules;

TEST_CASE("templates expand labels, values and the functions public rules use", "[rules]") {
  TemplateData d;
  d.labels = {{"instance", "db1:9100"}, {"job", "node"}};
  d.external_labels = {{"cluster", "eu"}};
  d.value = 0.12345;
  CHECK(expand_template("{{ $labels.instance }} of {{ .Labels.job }} in {{ $externalLabels.cluster }}", d) ==
        "db1:9100 of node in eu");
  CHECK(expand_template("{{ $value }}", d) == "0.12345");
  CHECK(expand_template("{{ $value | humanizePercentage }}", d) == "12.35%");
  CHECK(expand_template("{{ printf \"%.2f\" $value }}", d) == "0.12");
  CHECK(expand_template("{{ $labels.instance | stripPort }}", d) == "db1");
  CHECK(expand_template("{{ $labels.job | toUpper }}", d) == "NODE");
  CHECK(expand_template("{{ title \"disk almost full\" }}", d) == "Disk Almost Full");
  d.value = 1234567;
  CHECK(expand_template("{{ humanize $value }}", d) == "1.235M");
  d.value = 3 * 1073741824.0;
  CHECK(expand_template("{{ humanize1024 $value }}", d) == "3Gi");
  d.value = 90061;
  CHECK(expand_template("{{ humanizeDuration $value }}", d) == "1d 1h 1m 1s");
  CHECK(expand_template("{{ reReplaceAll \"(.*):.*\" \"$1\" $labels.instance }}", d) == "db1");
  CHECK(expand_template("no actions", d) == "no actions");
}

TEST_CASE("template errors show in the text instead of failing", "[rules]") {
  TemplateData d;
  std::string err;
  const auto out = expand_template("x {{ nosuchfn $value }}", d, &err);
  CHECK(out.find("<error expanding template:") == 0);
  CHECK(err.find("nosuchfn") != std::string::npos);
  CHECK(expand_template("{{ $labels.x", d).find("unclosed action") != std::string::npos);
}
