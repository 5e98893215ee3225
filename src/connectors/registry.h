// The explicit list of connectors. Adding a connector is one folder plus one line in registry.cc.
// No registration through static initialisers.
#pragma once

#include <string_view>
#include <vector>

#include "connectors/connector.h"

namespace concord {

const std::vector<const ConnectorDescriptor*>& AllConnectors();
// nullptr when no connector has that name.
const ConnectorDescriptor* FindConnector(std::string_view name);

}  // namespace concord
