/**
 * Turns refs and sources into `depends_on.nodes` (sources first, then refs, as dbt's manifest loader
 * does), naming the closest candidate when one is unknown, then checks the graph has no cycle.
 */
import { closest, FareboxError } from '../errors/index.ts';
import { buildGraph } from './graph.ts';
import type { DependsOn, Project, RefCall } from './types.ts';

interface Dependent {
  resourceType: string;
  name: string;
  originalFilePath: string;
  refs: RefCall[];
  sources: [string, string][];
  dependsOn: DependsOn;
}

export function resolveDependencies(project: Project): void {
  const byName = new Map<string, string>();
  for (const n of project.nodes.values()) if (n.resourceType !== 'test') byName.set(n.name, n.uniqueId);
  const bySource = new Map<string, string>();
  for (const s of project.sources.values()) bySource.set(`${s.sourceName}.${s.name}`, s.uniqueId);

  const resolve = (d: Dependent): void => {
    const who = `${d.resourceType} '${d.name}' (${d.originalFilePath})`;
    const nodes: string[] = [];
    for (const [s, t] of d.sources) {
      const id = bySource.get(`${s}.${t}`);
      if (id === undefined) {
        const near = closest(`${s}.${t}`, [...bySource.keys()]);
        throw new FareboxError(
          'transform_invalid',
          `${who} depends on a source named '${s}.${t}' which was not found`,
          {
            where: d.originalFilePath,
            hint:
              near === undefined
                ? 'declare it under sources: in a properties YAML file'
                : `did you mean source('${near.replace('.', "', '")}')?`,
          },
        );
      }
      if (!nodes.includes(id)) nodes.push(id);
    }
    for (const r of d.refs) {
      if (r.package !== null && r.package !== project.name)
        throw new FareboxError(
          'transform_invalid',
          `${who} refers to package '${r.package}', which is not installed`,
          { where: d.originalFilePath, hint: `farebox runs one project; use ref('${r.name}')` },
        );
      const id = byName.get(r.name);
      if (id === undefined) {
        const near = closest(r.name, [...byName.keys()]);
        throw new FareboxError(
          'transform_invalid',
          `${who} depends on a node named '${r.name}' which was not found`,
          {
            where: d.originalFilePath,
            hint:
              near === undefined ? 'no model or seed has a name close to it' : `did you mean ref('${near}')?`,
          },
        );
      }
      if (!nodes.includes(id)) nodes.push(id);
    }
    d.dependsOn.nodes = nodes;
  };
  for (const n of project.nodes.values()) resolve(n);
  for (const x of project.exposures.values()) resolve(x);
  buildGraph(project);
}
