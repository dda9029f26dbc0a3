/** The ClickHouse database Superset queries: its SQLAlchemy URI, never with a password, and its YAML. */
import { FareboxError } from '../../errors/index.ts';
import { version } from './files.ts';
import type { SupersetExportConfig } from './types.ts';

/** The mask Superset writes in place of a password, and reads as "ask for it". */
export const supersetPasswordMask = 'XXXXXXXXXX';

const chdbHint =
  'give the ClickHouse server Superset should query, e.g. --clickhouse-url http://farebox@clickhouse:8123/farebox ' +
  '(chDB runs inside farebox and has no server; load the same data into a ClickHouse server for Superset)';

/** The SQLAlchemy URI (`clickhousedb://user@host:port/database`) Superset connects with; never a password. */
export function supersetDatabaseUri(
  config: Pick<SupersetExportConfig, 'warehouse' | 'clickhouseUrl' | 'askPassword'>,
): { uri: string; passwordLeftOut: boolean } {
  const { warehouse } = config;
  let raw = config.clickhouseUrl;
  if (raw === undefined || raw === '') {
    if (warehouse.kind === 'chdb')
      throw new FareboxError(
        'config_invalid',
        'the warehouse is chDB (embedded in farebox): Superset needs the URL of a ClickHouse server',
        { where: 'FAREBOX_WAREHOUSE', hint: chdbHint },
      );
    raw = warehouse.url;
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new FareboxError('bad_request', `--clickhouse-url is not a URL: '${raw}'`, {
      where: '--clickhouse-url',
      hint: chdbHint,
    });
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (!['http', 'https', 'clickhousedb'].includes(scheme) || url.hostname === '')
    throw new FareboxError(
      'bad_request',
      `--clickhouse-url must be ClickHouse's HTTP interface, http(s)://host:port/database: '${raw}'`,
      { where: '--clickhouse-url', hint: chdbHint },
    );
  const fromConfig = config.clickhouseUrl === undefined || config.clickhouseUrl === '';
  const user =
    decodeURIComponent(url.username) ||
    (fromConfig && warehouse.kind === 'http' ? warehouse.username : 'default');
  const database = decodeURIComponent(url.pathname.replace(/^\/+|\/+$/g, '')) || warehouse.database;
  const secure = scheme === 'https' || url.searchParams.get('secure') === 'true';
  const port = url.port || (secure ? '8443' : '8123');
  const host =
    url.hostname.includes(':') && !url.hostname.startsWith('[') ? `[${url.hostname}]` : url.hostname;
  const password = config.askPassword === true ? `:${supersetPasswordMask}` : '';
  const uri =
    `clickhousedb://${encodeURIComponent(user)}${password}@${host}:${port}/${encodeURIComponent(database)}` +
    (secure ? '?secure=true' : '');
  const passwordLeftOut =
    url.password !== '' || (fromConfig && warehouse.kind === 'http' && warehouse.password !== '');
  return { uri, passwordLeftOut };
}

/** The content of `databases/<db>.yaml`. */
export const databaseDoc = (name: string, uri: string, uuid: string): Record<string, unknown> => ({
  database_name: name,
  sqlalchemy_uri: uri,
  cache_timeout: null,
  expose_in_sqllab: true,
  allow_run_async: false,
  allow_ctas: false,
  allow_cvas: false,
  allow_dml: false,
  allow_csv_upload: false,
  extra: { allows_virtual_table_explore: true, metadata_params: {}, engine_params: {} },
  uuid,
  version,
});
