/** The parsed dbt-format project: nodes, sources and exposures, shaped after dbt's manifest. */
import type { Jinja } from './jinja.ts';

/** A node's configuration as dbt merges it: dbt_project.yml paths, then properties YAML, then `config()`. */
export type NodeConfig = Record<string, unknown>;

export type NodeType = 'model' | 'seed' | 'test';
export type ResourceType = NodeType | 'source' | 'exposure';

export interface RefCall {
  name: string;
  package: string | null;
  version: string | null;
}

export interface ColumnInfo {
  name: string;
  description: string;
  meta: Record<string, unknown>;
  data_type: string | null;
  tags: string[];
}

export interface DependsOn {
  macros: string[];
  nodes: string[];
}

interface Common {
  uniqueId: string;
  name: string;
  /** Path inside the resource folder (`staging/stg_trips.sql`); for YAML-born resources, the YAML file. */
  path: string;
  /** Path from the project root (`models/staging/stg_trips.sql`). */
  originalFilePath: string;
  fqn: string[];
  tags: string[];
  description: string;
  meta: Record<string, unknown>;
}

export interface BaseNode extends Common {
  resourceType: NodeType;
  config: NodeConfig;
  /** The config as written (not merged with defaults), for the manifest's `unrendered_config`. */
  unrenderedConfig: NodeConfig;
  columns: Record<string, ColumnInfo>;
  /** The properties YAML that describes the node, if any. */
  patchPath: string | null;
  rawCode: string;
  refs: RefCall[];
  sources: [string, string][];
  dependsOn: DependsOn;
  /** ClickHouse database (dbt's schema) and table (dbt's alias) the node builds. */
  schema: string;
  alias: string;
  checksum: string;
}

export interface ModelNode extends BaseNode {
  resourceType: 'model';
}

export interface SeedNode extends BaseNode {
  resourceType: 'seed';
  absolutePath: string;
}

export interface TestMetadata {
  name: string;
  kwargs: Record<string, unknown>;
  namespace: string | null;
}

export interface TestNode extends BaseNode {
  resourceType: 'test';
  /** Generic tests (from YAML) have metadata; singular tests (tests/*.sql) do not. */
  testMetadata: TestMetadata | undefined;
  columnName: string | null;
  attachedNode: string | null;
  fileKeyName: string | null;
}

export type Node = ModelNode | SeedNode | TestNode;

export interface SourceNode extends Common {
  resourceType: 'source';
  sourceName: string;
  sourceDescription: string;
  identifier: string;
  schema: string;
  /** The schema as written, Jinja and all. */
  unrenderedSchema: string;
  /** The source table's configuration as dbt records it before rendering. */
  unrenderedConfig: NodeConfig;
  loader: string;
  loadedAtField: string | null;
  /** dbt's freshness block (warn_after, error_after, filter), the table's over the source's. */
  freshness: Record<string, unknown> | null;
  columns: Record<string, ColumnInfo>;
  sourceMeta: Record<string, unknown>;
}

export interface ExposureNode extends Common {
  resourceType: 'exposure';
  type: string;
  label: string | null;
  maturity: string | null;
  url: string | null;
  owner: Record<string, unknown>;
  unrenderedConfig: NodeConfig;
  refs: RefCall[];
  sources: [string, string][];
  dependsOn: DependsOn;
}

export interface MacroDef {
  uniqueId: string;
  name: string;
  originalFilePath: string;
}

/** dbt's `target`: the profile output farebox stands in for; its schema is the warehouse database. */
export interface TargetInfo {
  name: string;
  schema: string;
  type: 'clickhouse';
  database: string;
  profile_name: string;
  threads: number;
}

export interface ProjectFiles {
  modelPaths: string[];
  seedPaths: string[];
  testPaths: string[];
  macroPaths: string[];
}

export interface Project {
  name: string;
  /** Absolute directory holding dbt_project.yml. */
  dir: string;
  /** The parsed dbt_project.yml. */
  settings: Record<string, unknown>;
  paths: ProjectFiles;
  vars: Record<string, unknown>;
  target: TargetInfo;
  nodes: Map<string, Node>;
  sources: Map<string, SourceNode>;
  exposures: Map<string, ExposureNode>;
  macros: Map<string, MacroDef>;
  /** The project's Jinja environment, its macros compiled. */
  jinja: Jinja;
  /** Environment variables `env_var()` reads. */
  env: Readonly<Record<string, string | undefined>>;
}

export type AnyResource = Node | SourceNode | ExposureNode;
