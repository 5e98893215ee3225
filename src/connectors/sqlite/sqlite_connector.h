// The sqlite connector: a Source with trigger capture and chunked snapshots, and a Sink that
// applies a batch in one transaction. See README.md in this folder for the changelog design.
#pragma once

#include "connectors/connector.h"

namespace concord {

const ConnectorDescriptor& SqliteConnectorDescriptor();

}  // namespace concord
