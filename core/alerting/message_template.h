// Title and body of a notification, rendered with Mustache templates (kainjow/mustache). The
// defaults follow Alertmanager's: "[FIRING:2] HighLatency (api warning)" and one block per
// alert. Values are inserted as they are (no HTML escaping); channels escape for their format.
//
// Template data: status ("firing"/"resolved"), statusText ("FIRING:2"/"RESOLVED"), receiver,
// reason, groupKey, externalURL, consoleURL (the group in vigil's console), firingCount,
// resolvedCount, groupLabelValues,
// otherCommonLabelValues, groupLabels/commonLabels/commonAnnotations (lists of {name, value}),
// and alerts/firing/resolved (lists of {status, alertname, severity, summary, description,
// labels, labelsText, annotations, startsAt, endsAt, fingerprint, value, generatorURL,
// ackedBy, ackComment, silenced}).
#pragma once

#include <memory>
#include <utility>
#include <string>

#include "alerting/notification.h"
#include "base/status.h"

namespace vigil::alerting {

extern const char* const kDefaultTitleTemplate;
extern const char* const kDefaultBodyTemplate;

class MessageTemplate {
 public:
  // Errors name the template's problem (unclosed section, ...).
  static Result<std::shared_ptr<const MessageTemplate>> compile(const std::string& text);
  std::string render(const Notification& n) const;

 private:
  friend std::pair<std::string, std::string> render_message(const MessageTemplate&, const MessageTemplate&,
                                                            const Notification&);
  std::string text_;
};

// Title and body from one preparation of the template data (cheaper than two render() calls
// for a notification with many alerts).
std::pair<std::string, std::string> render_message(const MessageTemplate& title, const MessageTemplate& body,
                                                   const Notification& n);

}  // namespace vigil::alerting
