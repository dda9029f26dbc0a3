/** The transformation runner: dbt-format projects parsed, compiled and built in ClickHouse. */
export { loadProject, type LoadOptions } from './parse.ts';
export { buildGraph, type Graph } from './graph.ts';
export { selectNodes, unmatched, type Selection } from './select.ts';
export {
  runCommand,
  type Command,
  type NodeResult,
  type NodeStatus,
  type RunConfig,
  type RunDeps,
  type RunOutcome,
} from './runner.ts';
export { buildManifest, type ArtifactMeta } from './manifest.ts';
export { buildRunResults, writeLineage, writeManifest, writeRunResults } from './artifacts.ts';
export { buildLineage, type Lineage, type LineageNode } from './lineage.ts';
export { resultLine, sampleTable, summary } from './report.ts';
export { quoteIdent } from './relation.ts';
export type { AnyResource, ExposureNode, Node, Project, SourceNode, TestNode } from './types.ts';
