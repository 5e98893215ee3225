// The mysql connector: MariaDB (10.11) and MySQL (8) through libmariadb. A Source with trigger
// capture and chunked snapshots, and a Sink that applies a batch in one InnoDB transaction. See
// README.md in this folder for the changelog design.
#pragma once

#include "connectors/connector.h"

namespace concord {

const ConnectorDescriptor& MysqlConnectorDescriptor();

}  // namespace concord
