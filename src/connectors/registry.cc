#include "connectors/registry.h"

#include "connectors/mysql/mysql_connector.h"
#include "connectors/odbc/odbc_connector.h"
#include "connectors/postgres/postgres_connector.h"
#include "connectors/sqlite/sqlite_connector.h"

namespace concord {

const std::vector<const ConnectorDescriptor*>& AllConnectors() {
  static const std::vector<const ConnectorDescriptor*> kAll = {
      &SqliteConnectorDescriptor(),
      &MysqlConnectorDescriptor(),
      &PostgresConnectorDescriptor(),
      &OdbcConnectorDescriptor(),
  };
  return kAll;
}

const ConnectorDescriptor* FindConnector(std::string_view name) {
  for (const ConnectorDescriptor* d : AllConnectors()) {
    if (d->name == name) return d;
  }
  return nullptr;
}

}  // namespace concord
