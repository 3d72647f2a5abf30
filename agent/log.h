// The agent's log: one line on stderr per event, "shoko-agent: MESSAGE".
#ifndef SHOKO_AGENT_LOG_H_
#define SHOKO_AGENT_LOG_H_

#include <string>

namespace shoko::agent {

void Log(const std::string& message);

}  // namespace shoko::agent

#endif  // SHOKO_AGENT_LOG_H_
