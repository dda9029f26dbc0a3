/**
 * Lineage for the dashboards: sources → seeds and models → tests and exposures, as plain nodes and edges
 * (parent → child) that a web app can draw without knowing dbt's manifest.
 */
import { buildGraph } from './graph.ts';
import type { AnyResource, Project } from './types.ts';

export interface LineageNode {
  id: string;
  type: 'source' | 'seed' | 'model' | 'test' | 'exposure';
  name: string;
  /** The file that defines it, from the project root. */
  path: string;
  /** view, table, incremental, ephemeral, seed, test; null for sources and exposures. */
  materialization: string | null;
  tags: string[];
  description: string;
  /** Exposures: dashboard, application (a sync), …; tests: the generic test's name or 'singular'. */
  kind: string | null;
  /** `database`.`table` it reads or builds, when it has one. */
  relation: string | null;
}

export interface Lineage {
  project: string;
  generatedAt: string;
  nodes: LineageNode[];
  edges: { from: string; to: string }[];
}

function lineageNode(r: AnyResource): LineageNode {
  const base = {
    id: r.uniqueId,
    name: r.name,
    path: r.originalFilePath,
    tags: r.tags,
    description: r.description,
  };
  switch (r.resourceType) {
    case 'source':
      return {
        ...base,
        type: 'source',
        name: `${r.sourceName}.${r.name}`,
        materialization: null,
        kind: null,
        relation: `${r.schema}.${r.identifier}`,
      };
    case 'exposure':
      return { ...base, type: 'exposure', materialization: null, kind: r.type, relation: null };
    case 'test':
      return {
        ...base,
        type: 'test',
        materialization: 'test',
        kind: r.testMetadata?.name ?? 'singular',
        relation: null,
      };
    default: {
      const materialization = String(r.config.materialized);
      return {
        ...base,
        type: r.resourceType,
        materialization,
        kind: null,
        relation: materialization === 'ephemeral' ? null : `${r.schema}.${r.alias}`,
      };
    }
  }
}

export function buildLineage(project: Project, generatedAt = new Date()): Lineage {
  const graph = buildGraph(project);
  const nodes = graph.order.map((id) => lineageNode(graph.resources.get(id) as AnyResource));
  const edges = graph.order.flatMap((id) => (graph.parents.get(id) ?? []).map((from) => ({ from, to: id })));
  return { project: project.name, generatedAt: generatedAt.toISOString(), nodes, edges };
}
