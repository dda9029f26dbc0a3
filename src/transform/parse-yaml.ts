/** Sources and exposures, which exist only in properties YAML. */
import path from 'node:path';
import { FareboxError } from '../errors/index.ts';
import { emptyCaptured, parseScope } from './context.ts';
import type { ExposureDecl, SourceDecl } from './properties.ts';
import type { Project } from './types.ts';
import { isMapping, textList, textOf } from './values.ts';

/** The YAML file's folders below its resource path: the middle of a YAML-born resource's fqn. */
export function yamlFolders(project: Project, file: string): string[] {
  const roots = [...project.paths.modelPaths, ...project.paths.seedPaths, ...project.paths.testPaths];
  const root = roots.find((r) => file.startsWith(`${r}/`)) ?? '';
  return path.posix
    .dirname(path.posix.relative(root, file))
    .split('/')
    .filter((p) => p !== '.' && p !== '');
}

function render(project: Project, text: string, file: string): string {
  return /\{[{%]/.test(text)
    ? project.jinja.render(text, file, parseScope(project, undefined, emptyCaptured())).trim()
    : text;
}

/** dbt's freshness block with its defaults filled in; null when switched off (`freshness: null`). */
function freshness(given: unknown): Record<string, unknown> | null {
  if (given === null) return null;
  const after = (v: unknown) => ({ count: null, period: null, ...(isMapping(v) ? v : {}) });
  const f = isMapping(given) ? given : {};
  return { warn_after: after(f.warn_after), error_after: after(f.error_after), filter: f.filter ?? null };
}

export function addSources(project: Project, decls: readonly SourceDecl[]): void {
  for (const s of decls)
    for (const t of s.tables) {
      const uniqueId = `source.${project.name}.${s.name}.${t.name}`;
      if (project.sources.has(uniqueId))
        throw new FareboxError('transform_invalid', `source table '${s.name}.${t.name}' is declared twice`, {
          where: s.file,
        });
      project.sources.set(uniqueId, {
        resourceType: 'source',
        uniqueId,
        name: t.name,
        sourceName: s.name,
        sourceDescription: s.description,
        description: t.description,
        path: s.file,
        originalFilePath: s.file,
        fqn: [project.name, ...yamlFolders(project, s.file), s.name, t.name],
        // dbt's default: a source's schema is the source's name.
        schema: render(project, s.schema ?? s.name, s.file),
        unrenderedSchema: s.schema ?? s.name,
        unrenderedConfig: {
          loaded_at_field: t.loadedAtField ?? s.loadedAtField,
          freshness: freshness(t.freshness === undefined ? s.freshness : t.freshness),
          loaded_at_query: null,
          meta: t.meta,
          tags: [...new Set([...s.tags, ...t.tags])],
        },
        identifier: render(project, t.identifier ?? t.name, s.file),
        loader: s.loader,
        loadedAtField: t.loadedAtField ?? s.loadedAtField,
        freshness: freshness(t.freshness === undefined ? s.freshness : t.freshness),
        columns: t.columns,
        tags: [...new Set([...s.tags, ...t.tags])],
        meta: t.meta,
        sourceMeta: s.meta,
      });
    }
}

const exposureTypes = ['dashboard', 'notebook', 'analysis', 'ml', 'application'];

export function addExposures(project: Project, decls: readonly ExposureDecl[]): void {
  for (const x of decls) {
    const type = textOf(x.raw.type);
    if (!exposureTypes.includes(type))
      throw new FareboxError(
        'transform_invalid',
        `exposure '${x.name}' has type '${type}'; dbt accepts ${exposureTypes.join(', ')}`,
        { where: x.file },
      );
    const captured = emptyCaptured();
    for (const dep of x.dependsOn)
      project.jinja.render(`{{ ${dep} }}`, x.file, parseScope(project, undefined, captured));
    const opt = (k: string): string | null => (typeof x.raw[k] === 'string' ? x.raw[k] : null);
    const config = isMapping(x.raw.config) ? x.raw.config : {};
    const owner = isMapping(x.raw.owner) ? x.raw.owner : {};
    project.exposures.set(`exposure.${project.name}.${x.name}`, {
      resourceType: 'exposure',
      uniqueId: `exposure.${project.name}.${x.name}`,
      name: x.name,
      path: x.file.replace(/^[^/]+\//, ''),
      originalFilePath: x.file,
      fqn: [project.name, ...yamlFolders(project, x.file), x.name],
      type,
      label: opt('label'),
      maturity: opt('maturity'),
      url: opt('url'),
      description: opt('description') ?? '',
      // dbt writes the owner's email before the name.
      owner: { email: owner.email ?? null, name: owner.name ?? null, ...owner },
      tags: [...new Set([...(textList(x.raw.tags) ?? []), ...(textList(config.tags) ?? [])])],
      meta: { ...(isMapping(x.raw.meta) ? x.raw.meta : {}), ...(isMapping(config.meta) ? config.meta : {}) },
      unrenderedConfig: config,
      refs: captured.refs,
      sources: captured.sources,
      dependsOn: { macros: [], nodes: [] },
    });
  }
}
