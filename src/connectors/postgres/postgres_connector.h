// The postgres connector (libpq): a Source with trigger capture and chunked snapshots, and a Sink
// that applies a batch in one transaction with pipelined, prepared upserts. See README.md in this
// folder for the changelog design.
#pragma once

#include "connectors/connector.h"

namespace concord {

const ConnectorDescriptor& PostgresConnectorDescriptor();

}  // namespace concord
