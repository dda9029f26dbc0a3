/**
 * dbt's node selection: `name`, `+name`, `name+`, `2+name+1`, `@name`, methods (`tag:`, `path:`,
 * `resource_type:`, `source:`, `exposure:`, `test_type:`, `config.<key>:`, `fqn:`), globs, space for
 * union, comma for intersection, `--exclude`, and tests picked up with the nodes they test (eager).
 */
import path from 'node:path';
import { closest, FareboxError } from '../errors/index.ts';
import { reach, type Graph } from './graph.ts';
import type { AnyResource, ResourceType } from './types.ts';
import { textOf } from './values.ts';

function glob(pattern: string): RegExp {
  const re = pattern
    .replace(/[.+^${}()|\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.');
  return new RegExp(`^${re}$`);
}
const hasGlob = (s: string): boolean => /[*?[\]]/.test(s);

/** dbt's is_selected_node: the leaf name (or a glob of it), or a dotted prefix of the fqn, with globs. */
function fqnMatches(fqn: readonly string[], selector: string): boolean {
  const leaf = fqn.at(-1) ?? '';
  if (leaf === selector || (!selector.includes('.') && hasGlob(selector) && glob(selector).test(leaf)))
    return true;
  const parts = selector.split('.');
  const flat = fqn.flatMap((s) => s.split('.'));
  if (flat.length < parts.length) return false;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (hasGlob(part)) return glob(parts.slice(i).join('.')).test(flat.slice(i).join('.'));
    if (flat[i] !== part) return false;
  }
  return true;
}

function configValue(r: AnyResource, key: string): unknown {
  return 'config' in r ? r.config[key] : undefined;
}

function matches(r: AnyResource, method: string, value: string, projectName: string): boolean {
  switch (method) {
    case 'fqn':
      if (r.resourceType === 'source' || r.resourceType === 'exposure') return false;
      return fqnMatches(r.fqn, value) || fqnMatches(r.fqn.slice(1), value);
    case 'tag':
      return r.tags.some((t) => glob(value).test(t));
    case 'path': {
      const p = r.originalFilePath;
      const v = path.posix.normalize(value).replace(/\/$/, '');
      return p === v || p.startsWith(`${v}/`) || glob(v).test(p);
    }
    case 'file':
      return glob(value).test(path.posix.basename(r.originalFilePath));
    case 'resource_type':
      return r.resourceType === value;
    case 'source': {
      if (r.resourceType !== 'source') return false;
      const full = [projectName, r.sourceName, r.name];
      return fqnMatches(full, value) || fqnMatches(full.slice(1), value);
    }
    case 'exposure':
      return r.resourceType === 'exposure' && glob(value).test(r.name);
    case 'test_type':
      return (
        r.resourceType === 'test' &&
        (value === 'generic'
          ? r.testMetadata !== undefined
          : value === 'singular' || value === 'data'
            ? r.testMetadata === undefined
            : false)
      );
    case 'test_name':
      return (
        r.resourceType === 'test' && r.testMetadata !== undefined && glob(value).test(r.testMetadata.name)
      );
    case 'package':
      return value === projectName;
    default:
      if (method.startsWith('config.')) {
        const v = configValue(r, method.slice('config.'.length));
        return Array.isArray(v)
          ? v.map(textOf).includes(value)
          : v !== undefined && v !== null && textOf(v) === value;
      }
      throw new FareboxError('bad_request', `unknown selector method '${method}:'`, {
        hint: 'known: tag:, path:, file:, resource_type:, source:, exposure:, test_type:, test_name:, config.<key>:, fqn:',
      });
  }
}

/** One selector without commas, e.g. `2+tag:nightly+`. */
function selectOne(graph: Graph, atom: string, projectName: string): Set<string> {
  const m = /^(@)?(?:(\d*)\+)?(.+?)(?:\+(\d*))?$/.exec(atom);
  if (m === null) throw new FareboxError('bad_request', `cannot read selector '${atom}'`);
  const [, at, up, body = '', down] = m;
  const colon = body.indexOf(':');
  const method = colon > 0 ? body.slice(0, colon) : /[/\\]|\.(sql|csv|ya?ml)$/.test(body) ? 'path' : 'fqn';
  const value = colon > 0 ? body.slice(colon + 1) : body;
  const base = new Set<string>();
  for (const [id, r] of graph.resources) if (matches(r, method, value, projectName)) base.add(id);
  const out = new Set(base);
  const depth = (s: string | undefined): number | undefined =>
    s === undefined || s === '' ? undefined : Number(s);
  if (at !== undefined) {
    const below = reach(graph.children, base);
    for (const id of below) out.add(id);
    for (const id of reach(graph.parents, [...base, ...below])) out.add(id);
    return out;
  }
  if (up !== undefined) for (const id of reach(graph.parents, base, depth(up))) out.add(id);
  if (down !== undefined) for (const id of reach(graph.children, base, depth(down))) out.add(id);
  return out;
}

function evaluate(graph: Graph, selectors: readonly string[], projectName: string): Set<string> {
  const out = new Set<string>();
  for (const group of selectors.flatMap((s) => s.split(/\s+/)).filter((s) => s !== '')) {
    const parts = group.split(',').map((p) => selectOne(graph, p, projectName));
    const first = parts[0] ?? new Set<string>();
    for (const id of first) if (parts.every((p) => p.has(id))) out.add(id);
  }
  return out;
}

/**
 * Selectors that match nothing, each with a hint naming the closest node when it looks like a typo
 * (`stg_trip` → `stg_trips`), so an empty run says why.
 */
export function unmatched(graph: Graph, projectName: string, selectors: readonly string[]): string[] {
  const names = [...new Set([...graph.resources.values()].map((r) => r.name))];
  return selectors
    .flatMap((s) => s.split(/[\s,]+/))
    .filter((s) => s !== '' && selectOne(graph, s, projectName).size === 0)
    .map((s) => {
      const bare = s.replace(/^@|^\d*\+|\+\d*$/g, '');
      const near = bare.includes(':') ? undefined : closest(bare, names);
      return near === undefined
        ? `'${s}' matches nothing`
        : `'${s}' matches nothing; did you mean '${near}'?`;
    });
}

export interface Selection {
  select?: readonly string[] | undefined;
  exclude?: readonly string[] | undefined;
  /** The resource types the command works on (run: models; test: tests; ls: all …). */
  resourceTypes: readonly ResourceType[];
}

/** Selected unique ids, in the graph's order (parents first). */
export function selectNodes(graph: Graph, projectName: string, selection: Selection): string[] {
  const all = selection.select === undefined || selection.select.length === 0;
  const chosen = all ? new Set(graph.resources.keys()) : evaluate(graph, selection.select ?? [], projectName);
  const excluded = evaluate(graph, selection.exclude ?? [], projectName);
  for (const id of excluded) chosen.delete(id);
  // Eager indirect selection: a test comes along when any node it tests is selected.
  for (const [id, r] of graph.resources)
    if (
      r.resourceType === 'test' &&
      !excluded.has(id) &&
      (graph.parents.get(id) ?? []).some((p) => chosen.has(p))
    )
      chosen.add(id);
  const types = new Set<string>(selection.resourceTypes);
  return graph.order.filter((id) => chosen.has(id) && types.has(graph.resources.get(id)?.resourceType ?? ''));
}
