/** Every setting farebox reads, once: its config-file key, environment variable, flag, default and help. */

export interface Setting {
  /** Key in farebox.yaml / farebox.json. */
  key: string;
  env: string;
  flag: string;
  /** Default as text, in the same form a user would write; `{home}` is replaced by the home directory. */
  default: string;
  help: string;
}

export const settings = [
  {
    key: 'home',
    env: 'FAREBOX_HOME',
    flag: '--home',
    default: './.farebox',
    help: 'directory of embedded state',
  },
  { key: 'log', env: 'FAREBOX_LOG', flag: '--log', default: 'local:{home}/log', help: 'event log URL' },
  {
    key: 'objects',
    env: 'FAREBOX_OBJECTS',
    flag: '--objects',
    default: 'file:{home}/objects',
    help: 'object store URL',
  },
  {
    key: 'warehouse',
    env: 'FAREBOX_WAREHOUSE',
    flag: '--warehouse',
    default: 'chdb:{home}/warehouse',
    help: 'ClickHouse warehouse URL',
  },
  {
    key: 'registry',
    env: 'FAREBOX_REGISTRY',
    flag: '--registry',
    default: 'embedded',
    help: 'schema registry: embedded or a Confluent-compatible URL',
  },
  {
    key: 'opsDb',
    env: 'FAREBOX_OPS_DB',
    flag: '--ops-db',
    default: 'pglite:{home}/ops',
    help: 'operational database URL (reverse-ETL target)',
  },
  {
    key: 'fsync',
    env: 'FAREBOX_FSYNC',
    flag: '--fsync',
    default: 'always',
    help: 'embedded log durability: always | interval:<ms> | never',
  },
  {
    key: 'partitions',
    env: 'FAREBOX_PARTITIONS',
    flag: '--partitions',
    default: '4',
    help: 'partitions per topic created',
  },
  {
    key: 'segmentBytes',
    env: 'FAREBOX_SEGMENT_BYTES',
    flag: '--segment-bytes',
    default: '67108864',
    help: 'embedded log segment size',
  },
  {
    key: 'retentionHours',
    env: 'FAREBOX_RETENTION_HOURS',
    flag: '--retention-hours',
    default: '168',
    help: 'log retention by age (0 keeps forever)',
  },
  {
    key: 'retentionBytes',
    env: 'FAREBOX_RETENTION_BYTES',
    flag: '--retention-bytes',
    default: '0',
    help: 'log retention by size per partition (0: no limit)',
  },
  {
    key: 'host',
    env: 'FAREBOX_HOST',
    flag: '--host',
    default: '127.0.0.1',
    help: 'address the servers bind',
  },
  {
    key: 'port',
    env: 'FAREBOX_PORT',
    flag: '--port',
    default: '8787',
    help: 'HTTP port of gateway and dashboards',
  },
  {
    key: 'registryPort',
    env: 'FAREBOX_REGISTRY_PORT',
    flag: '--registry-port',
    default: '8081',
    help: 'HTTP port of the schema registry service (farebox serve registry)',
  },
  {
    key: 'opsPort',
    env: 'FAREBOX_OPS_PORT',
    flag: '--ops-port',
    default: '9464',
    help: 'port of /livez, /readyz and /metrics (Prometheus) of `farebox serve` roles; 0 picks a free one',
  },
  {
    key: 'shutdownSeconds',
    env: 'FAREBOX_SHUTDOWN_SECONDS',
    flag: '--shutdown-seconds',
    default: '25',
    help: 'after SIGTERM, a role that has not drained and stopped within this exits anyway (code 1)',
  },
  {
    key: 'logFormat',
    env: 'FAREBOX_LOG_FORMAT',
    flag: '--log-format',
    default: 'text',
    help: 'how `farebox serve` logs: text lines, or json (one object a line, for log collectors)',
  },
  {
    key: 'tokens',
    env: 'FAREBOX_TOKENS',
    flag: '--tokens',
    default: '',
    help: 'comma-separated bearer tokens for the ingest gateway (empty: one is generated and printed)',
  },
  {
    key: 'maxBodyBytes',
    env: 'FAREBOX_MAX_BODY_BYTES',
    flag: '--max-body-bytes',
    default: '16777216',
    help: 'largest HTTP request body',
  },
  {
    key: 'claimCheckBytes',
    env: 'FAREBOX_CLAIM_CHECK_BYTES',
    flag: '--claim-check-bytes',
    default: '524288',
    help: 'messages over this size go to the object store whole',
  },
  {
    key: 'sinkGroup',
    env: 'FAREBOX_SINK_GROUP',
    flag: '--sink-group',
    default: 'farebox-sink',
    help: 'consumer group of the sink',
  },
  {
    key: 'sinkBatchRows',
    env: 'FAREBOX_SINK_BATCH_ROWS',
    flag: '--sink-batch-rows',
    default: '20000',
    help: 'sink flushes at this many rows…',
  },
  {
    key: 'sinkBatchMs',
    env: 'FAREBOX_SINK_BATCH_MS',
    flag: '--sink-batch-ms',
    default: '500',
    help: '…or after this many milliseconds',
  },
  {
    key: 'sinkRetrySeconds',
    env: 'FAREBOX_SINK_RETRY_SECONDS',
    flag: '--sink-retry-seconds',
    default: '300',
    help: 'how long the sink retries a batch the warehouse cannot take (it waits meanwhile; then it stops)',
  },
  {
    key: 'preloadWorkers',
    env: 'FAREBOX_PRELOAD_WORKERS',
    flag: '--preload-workers',
    default: '1',
    help: 'threads that validate and encode batches beside the sink (0: on the sink thread)',
  },
  {
    key: 'vehicles',
    env: 'FAREBOX_SIM_VEHICLES',
    flag: '--vehicles',
    default: '200',
    help: 'simulated vehicles (0: no simulator)',
  },
  { key: 'seed', env: 'FAREBOX_SIM_SEED', flag: '--seed', default: '42', help: 'simulator seed' },
  {
    key: 'badShare',
    env: 'FAREBOX_SIM_BAD_SHARE',
    flag: '--bad-share',
    default: '0.01',
    help: 'share of deliberately bad simulated events (0–1)',
  },
  {
    key: 'speed',
    env: 'FAREBOX_SIM_SPEED',
    flag: '--speed',
    default: '1',
    help: 'simulated clock speed-up',
  },
  {
    key: 'zones',
    env: 'FAREBOX_ZONES',
    flag: '--zones',
    default: '{repo}/transform/seeds/taxi_zone_lookup.csv',
    help: 'TLC taxi-zone table (CSV)',
  },
  {
    key: 'pipelines',
    env: 'FAREBOX_PIPELINES',
    flag: '--pipelines',
    default: '{repo}/pipelines',
    help: 'folder of pipeline YAML files the scheduler runs',
  },
  {
    key: 'syncs',
    env: 'FAREBOX_SYNCS',
    flag: '--syncs',
    default: '{repo}/syncs',
    help: 'folder of reverse-ETL sync YAML files',
  },
  {
    key: 'project',
    env: 'FAREBOX_PROJECT',
    flag: '--project',
    default: '{repo}/transform',
    help: 'the dbt-format SQL project the scheduler builds',
  },
  {
    key: 'alertWebhook',
    env: 'FAREBOX_ALERT_WEBHOOK',
    flag: '--alert-webhook',
    default: '',
    help: 'URL that failed jobs and freshness breaches are POSTed to as JSON (none by default)',
  },
  {
    key: 'schedulerTickSeconds',
    env: 'FAREBOX_SCHEDULER_TICK_SECONDS',
    flag: '--scheduler-tick-seconds',
    default: '10',
    help: 'how often the scheduler looks for due runs',
  },
] as const satisfies readonly Setting[];

export type SettingKey = (typeof settings)[number]['key'];
