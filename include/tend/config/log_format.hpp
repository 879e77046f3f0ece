// How tend's own lines look (--log-format). Here, not in the logger, because
// the options name it and config stays below log.
#pragma once

namespace tend::config {

enum class LogFormat { Text, Json };

}  // namespace tend::config
