#include "agent/log.h"

#include <iostream>

namespace shoko::agent {

void Log(const std::string& message) { std::cerr << "shoko-agent: " << message << std::endl; }

}  // namespace shoko::agent
