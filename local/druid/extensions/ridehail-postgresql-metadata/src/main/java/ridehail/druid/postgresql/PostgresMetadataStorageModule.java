package ridehail.druid.postgresql;

import com.google.inject.Binder;
import com.google.inject.Key;
import org.apache.druid.guice.LazySingleton;
import org.apache.druid.guice.PolyBind;
import org.apache.druid.guice.SQLMetadataStorageDruidModule;
import org.apache.druid.initialization.DruidModule;
import org.apache.druid.metadata.MetadataStorageActionHandlerFactory;
import org.apache.druid.metadata.MetadataStorageConnector;
import org.apache.druid.metadata.MetadataStorageProvider;
import org.apache.druid.metadata.NoopMetadataStorageProvider;
import org.apache.druid.metadata.PostgreSQLMetadataStorageActionHandlerFactory;
import org.apache.druid.metadata.SQLMetadataConnector;

/**
 * Makes {@code druid.metadata.storage.type=postgresql} mean {@link PostgresMetadataConnector}.
 *
 * <p>{@link SQLMetadataStorageDruidModule#configure} registers the generic SQL implementations
 * (segments, rules, supervisors, audit, ...) under our type; what is database-specific is the
 * connector and the task-table handler. The handler factory is the one druid-server already
 * ships for PostgreSQL: it only differs from the generic one in how it writes LIMIT, and
 * reusing it keeps this extension to the parts Druid 33 does not have.
 */
public class PostgresMetadataStorageModule extends SQLMetadataStorageDruidModule implements DruidModule
{
  public static final String TYPE = "postgresql";

  public PostgresMetadataStorageModule()
  {
    super(TYPE);
  }

  @Override
  public void configure(Binder binder)
  {
    super.configure(binder);
    // Nothing to start: unlike Derby's provider, the database is an external server.
    option(binder, MetadataStorageProvider.class, NoopMetadataStorageProvider.class);
    // Both keys are injected (in different places); scoping the class itself makes them share
    // one connector, so a process has one connection pool instead of two.
    binder.bind(PostgresMetadataConnector.class).in(LazySingleton.class);
    option(binder, MetadataStorageConnector.class, PostgresMetadataConnector.class);
    option(binder, SQLMetadataConnector.class, PostgresMetadataConnector.class);
    option(binder, MetadataStorageActionHandlerFactory.class, PostgreSQLMetadataStorageActionHandlerFactory.class);
  }

  private static <T> void option(Binder binder, Class<T> key, Class<? extends T> implementation)
  {
    PolyBind.optionBinder(binder, Key.get(key)).addBinding(TYPE).to(implementation).in(LazySingleton.class);
  }
}
