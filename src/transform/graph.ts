/** The DAG of a parsed project: parents and children of every node, source and exposure. */
import { FareboxError } from '../errors/index.ts';
import type { AnyResource, Project } from './types.ts';

export interface Graph {
  /** Every resource by unique id. */
  resources: ReadonlyMap<string, AnyResource>;
  parents: ReadonlyMap<string, readonly string[]>;
  children: ReadonlyMap<string, readonly string[]>;
  /** Unique ids, parents before children, ties broken by id. */
  order: readonly string[];
}

export function resourcesOf(project: Project): Map<string, AnyResource> {
  return new Map<string, AnyResource>([...project.nodes, ...project.sources, ...project.exposures]);
}

function dependencies(r: AnyResource): string[] {
  return r.resourceType === 'source' ? [] : r.dependsOn.nodes;
}

/** A cycle as dbt reports it: `a --> b --> a`, or undefined when the refs form a DAG. */
export function findCycle(resources: ReadonlyMap<string, AnyResource>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const trail: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'open') return [...trail.slice(trail.indexOf(id)), id];
    state.set(id, 'open');
    trail.push(id);
    const r = resources.get(id);
    for (const p of r === undefined ? [] : dependencies(r)) {
      const cycle = visit(p);
      if (cycle !== undefined) return cycle;
    }
    trail.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const id of [...resources.keys()].sort()) {
    const cycle = visit(id);
    if (cycle !== undefined) return cycle.reverse();
  }
  return undefined;
}

export function buildGraph(project: Project): Graph {
  const resources = resourcesOf(project);
  const cycle = findCycle(resources);
  if (cycle !== undefined) {
    const files = [...new Set(cycle)].map((id) => resources.get(id)?.originalFilePath ?? id);
    throw new FareboxError('transform_invalid', `Found a cycle: ${cycle.join(' --> ')}`, {
      where: files.join(', '),
      hint: 'a model cannot ref itself through its own descendants; break one of these refs',
    });
  }
  const parents = new Map<string, string[]>();
  const children = new Map<string, string[]>();
  for (const id of resources.keys()) children.set(id, []);
  for (const [id, r] of resources) {
    const ps = [...new Set(dependencies(r))].sort();
    parents.set(id, ps);
    for (const p of ps) children.get(p)?.push(id);
  }
  for (const list of children.values()) list.sort();
  const order: string[] = [];
  const placed = new Set<string>();
  const place = (id: string): void => {
    if (placed.has(id)) return;
    placed.add(id);
    for (const p of parents.get(id) ?? []) place(p);
    order.push(id);
  };
  for (const id of [...resources.keys()].sort()) place(id);
  return { resources, parents, children, order };
}

/** Ids reachable from `start` through `edges`, up to `depth` steps (all when undefined), start excluded. */
export function reach(
  edges: ReadonlyMap<string, readonly string[]>,
  start: Iterable<string>,
  depth?: number,
): Set<string> {
  const out = new Set<string>();
  let frontier = [...start];
  for (let d = 0; frontier.length > 0 && (depth === undefined || d < depth); d++) {
    const next: string[] = [];
    for (const id of frontier)
      for (const n of edges.get(id) ?? [])
        if (!out.has(n)) {
          out.add(n);
          next.push(n);
        }
    frontier = next;
  }
  return out;
}
