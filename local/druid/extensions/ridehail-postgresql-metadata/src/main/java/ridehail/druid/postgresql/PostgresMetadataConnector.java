package ridehail.druid.postgresql;

import com.google.common.base.Supplier;
import com.google.inject.Inject;
import org.apache.commons.dbcp2.BasicDataSource;
import org.apache.druid.java.util.common.StringUtils;
import org.apache.druid.java.util.common.logger.Logger;
import org.apache.druid.metadata.MetadataCASUpdate;
import org.apache.druid.metadata.MetadataStorageConnectorConfig;
import org.apache.druid.metadata.MetadataStorageTablesConfig;
import org.apache.druid.metadata.SQLMetadataConnector;
import org.apache.druid.segment.metadata.CentralizedDatasourceSchemaConfig;
import org.skife.jdbi.v2.DBI;
import org.skife.jdbi.v2.Handle;

import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/**
 * Druid 33's metadata store on PostgreSQL (9.5 or newer, for {@code ON CONFLICT}).
 *
 * <p>Tables are created, found and inspected in the connection's {@code current_schema()}
 * (normally {@code public}); to use another schema, put {@code ?currentSchema=NAME} on the
 * JDBC URL rather than adding a setting of our own.
 */
public class PostgresMetadataConnector extends SQLMetadataConnector
{
  private static final Logger LOG = new Logger(PostgresMetadataConnector.class);

  // SQLSTATEs, from https://www.postgresql.org/docs/current/errcodes-appendix.html
  private static final String CLASS_CONNECTION_EXCEPTION = "08";
  private static final String CLASS_INSUFFICIENT_RESOURCES = "53";
  private static final String SERIALIZATION_FAILURE = "40001";
  private static final String DEADLOCK_DETECTED = "40P01";

  private final DBI dbi;

  @Inject
  public PostgresMetadataConnector(
      Supplier<MetadataStorageConnectorConfig> config,
      Supplier<MetadataStorageTablesConfig> tablesConfig,
      CentralizedDatasourceSchemaConfig schemaConfig
  )
  {
    super(config, tablesConfig, schemaConfig);
    final BasicDataSource datasource = getDatasource();
    // The driver jar is in this extension's directory, visible only to the class loader Druid
    // made for the extension; dbcp would otherwise look it up from lib/ and not find it.
    datasource.setDriverClassLoader(getClass().getClassLoader());
    datasource.setDriverClassName("org.postgresql.Driver");
    this.dbi = new DBI(datasource);
    LOG.info("Metadata storage: PostgreSQL at [%s]", config.get().getConnectURI());
  }

  @Override
  public DBI getDBI()
  {
    return dbi;
  }

  /** The generic default is BLOB, which PostgreSQL does not have. */
  @Override
  public String getPayloadType()
  {
    return "BYTEA";
  }

  @Override
  public String getSerialType()
  {
    return "BIGSERIAL";
  }

  /** Druid quotes reserved column names ({@code start}, {@code end}) with this. */
  @Override
  public String getQuoteString()
  {
    return "\"";
  }

  /**
   * The PostgreSQL driver reads a whole result set into memory unless a fetch size is set (and
   * autocommit is off, which Druid's streaming reads arrange); the segment poll reads every
   * used segment, so it must stream.
   */
  @Override
  public int getStreamingFetchSize()
  {
    return 100;
  }

  @Override
  public String limitClause(int limit)
  {
    return "LIMIT " + limit;
  }

  @Override
  public boolean tableExists(Handle handle, String tableName)
  {
    return !handle
        .createQuery(
            "SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = :tableName"
        )
        .bind("tableName", folded(tableName))
        .list()
        .isEmpty();
  }

  /**
   * The generic version counts the key's rows and then inserts or updates: two services writing
   * a new key at once can both count 0, and the second insert fails on the primary key. An
   * upsert is one statement and cannot race that way.
   */
  @Override
  public Void insertOrUpdate(
      String tableName,
      String keyColumn,
      String valueColumn,
      String key,
      byte[] value
  )
  {
    final String sql = StringUtils.format(
        "INSERT INTO %1$s (%2$s, %3$s) VALUES (:key, :value) ON CONFLICT (%2$s) DO UPDATE SET %3$s = EXCLUDED.%3$s",
        tableName,
        keyColumn,
        valueColumn
    );
    return getDBI().withHandle(handle -> {
      handle.createStatement(sql).bind("key", key).bind("value", value).execute();
      return null;
    });
  }

  /**
   * The generic compare-and-swap reads with {@code SELECT ... FOR UPDATE} in a REPEATABLE READ
   * transaction. When a concurrent transaction changed the row first, PostgreSQL aborts ours with
   * a serialization failure instead of letting it see the new value; that is exactly "the old
   * value did not match", which Druid's ConfigManager turns into a retryable failure.
   */
  @Override
  public boolean compareAndSwap(List<MetadataCASUpdate> updates)
  {
    try {
      return super.compareAndSwap(updates);
    }
    catch (RuntimeException e) {
      if (SERIALIZATION_FAILURE.equals(sqlState(e))) {
        return false;
      }
      throw e;
    }
  }

  /** Failures worth retrying: lost connections, a full server, and transaction conflicts. */
  @Override
  protected boolean connectorIsTransientException(Throwable e)
  {
    final String state = e instanceof SQLException ? ((SQLException) e).getSQLState() : null;
    return state != null
           && (state.startsWith(CLASS_CONNECTION_EXCEPTION)
               || state.startsWith(CLASS_INSUFFICIENT_RESOURCES)
               || SERIALIZATION_FAILURE.equals(state)
               || DEADLOCK_DETECTED.equals(state));
  }

  /**
   * JDBC metadata lookups match names exactly, and PostgreSQL stores unquoted names lower-cased,
   * while Druid asks with its configured (possibly mixed-case) names. Without this, existing
   * indexes are not found and Druid tries to create them again on every start.
   */
  @Override
  public ResultSet getIndexInfo(DatabaseMetaData metaData, String tableName) throws SQLException
  {
    return super.getIndexInfo(metaData, folded(tableName));
  }

  @Override
  protected boolean tableHasColumn(String tableName, String columnName)
  {
    return super.tableHasColumn(folded(tableName), folded(columnName));
  }

  /** How PostgreSQL folds an unquoted identifier. */
  private static String folded(String identifier)
  {
    return StringUtils.toLowerCase(identifier);
  }

  private static String sqlState(Throwable e)
  {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException && ((SQLException) t).getSQLState() != null) {
        return ((SQLException) t).getSQLState();
      }
    }
    return null;
  }
}
