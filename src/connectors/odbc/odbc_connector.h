// The odbc connector (unixODBC): any database with an ODBC driver (SQL Server through FreeTDS,
// Oracle, DB2, ...). Poll capture only (no trigger dialect is assumed), keyset snapshots, and a
// sink that applies a batch in one transaction with bound parameters. See README.md here.
#pragma once

#include "connectors/connector.h"

namespace concord {

const ConnectorDescriptor& OdbcConnectorDescriptor();

}  // namespace concord
