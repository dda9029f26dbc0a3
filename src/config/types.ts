/** Typed configuration: every engine named by one URL, parsed and checked once (see parse.ts). */

export type FsyncPolicy = { mode: 'always' } | { mode: 'interval'; intervalMs: number } | { mode: 'never' };

export type LogConfig =
  | {
      kind: 'local';
      /** Absolute directory of the embedded log. */
      dir: string;
      fsync: FsyncPolicy;
      /** A segment rolls over past this size. */
      segmentBytes: number;
      /** Default retention of new topics; undefined keeps forever. */
      retentionMs: number | undefined;
      retentionBytes: number | undefined;
      /** Partitions of topics farebox creates. */
      partitions: number;
    }
  | {
      kind: 'kafka';
      brokers: string[];
      clientId: string;
      partitions: number;
      replicationFactor: number;
      retentionMs: number | undefined;
      retentionBytes: number | undefined;
    };

export type ObjectsConfig =
  | { kind: 'file'; dir: string }
  | {
      kind: 's3';
      bucket: string;
      endpoint: string | undefined;
      region: string;
      forcePathStyle: boolean;
      prefix: string;
    };

export type WarehouseConfig =
  | { kind: 'chdb'; path: string; database: string }
  | { kind: 'http'; url: string; username: string; password: string; database: string };

export type RegistryConfig = { kind: 'embedded'; dir: string } | { kind: 'http'; url: string };

export type OpsDbConfig = { kind: 'pglite'; dir: string } | { kind: 'postgres'; url: string };

export interface IngestConfig {
  host: string;
  port: number;
  /** Bearer tokens accepted by the HTTP gateway. */
  tokens: string[];
  /** Largest request body the gateway accepts. */
  maxBodyBytes: number;
  /** Messages larger than this go to the object store whole (claim check). */
  claimCheckBytes: number;
}

export interface SinkConfig {
  group: string;
  batchRows: number;
  batchMs: number;
  /** How long a batch the warehouse cannot take is retried before the sink gives up. */
  retrySeconds: number;
}

export interface PreloadConfig {
  /** Worker threads that decide and encode batches; 0 does it on the sink's thread. */
  workers: number;
}

export interface SimulatorConfig {
  vehicles: number;
  seed: number;
  /** Share of deliberately bad events, 0–1. */
  badShare: number;
  /** Real-time speed-up of the simulated clock (1 = real time). */
  speed: number;
}

export interface Config {
  /** Root of all embedded engine state (./.farebox by default). */
  home: string;
  log: LogConfig;
  objects: ObjectsConfig;
  warehouse: WarehouseConfig;
  registry: RegistryConfig;
  opsDb: OpsDbConfig;
  ingest: IngestConfig;
  sink: SinkConfig;
  preload: PreloadConfig;
  /** Port of the schema registry service (`farebox serve registry`). */
  registryPort: number;
  /** How `farebox serve` roles are run: health, metrics, shutdown, logs. */
  ops: OpsConfig;
  simulator: SimulatorConfig;
  /** Where the TLC zone table lives. */
  zonesFile: string;
  orchestrate: OrchestrateConfig;
  dashboards: DashboardsConfig;
}

export interface DashboardsConfig {
  /** Port of the dashboards API (`farebox serve dashboards`). */
  port: number;
  /** Local demo flag: anyone is let in with this role without signing in; undefined requires sign-in. */
  anonymousRole: 'viewer' | undefined;
  /** Folder of dashboard YAML files. */
  dir: string;
  /** Limits of every query run through the API. */
  timeoutSeconds: number;
  maxRows: number;
  /** The built web app (`npm run build:web` writes it). */
  webDir: string;
}

export interface OpsConfig {
  /** Port of /livez, /readyz and /metrics; 0 picks a free one. */
  port: number;
  /** After SIGTERM, the most a role may take to drain before it exits anyway. */
  shutdownMs: number;
  logFormat: 'text' | 'json';
}

export interface OrchestrateConfig {
  /** Folder of pipeline YAML files. */
  pipelinesDir: string;
  /** Folder of reverse-ETL sync YAML files; syncs with a schedule run as pipelines of their own. */
  syncsDir: string;
  /** The dbt-format project transform jobs build. */
  projectDir: string;
  /** Where alerts are POSTed; undefined keeps them in the run history only. */
  alertWebhook: string | undefined;
  tickMs: number;
}
