/** Writes target/manifest.json, target/run_results.json (dbt's v6 shape) and target/lineage.json. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { buildLineage } from './lineage.ts';
import { artifactVersion, buildManifest, type ArtifactMeta } from './manifest.ts';
import type { RunConfig, RunOutcome } from './runner.ts';
import type { Project } from './types.ts';

export const runResultsSchema = 'https://schemas.getdbt.com/dbt/run-results/v6.json';

export function buildRunResults(outcome: RunOutcome, config: RunConfig): Record<string, unknown> {
  return {
    metadata: {
      dbt_schema_version: runResultsSchema,
      dbt_version: artifactVersion,
      generated_at: new Date().toISOString(),
      invocation_id: outcome.invocationId,
      env: {},
    },
    results: outcome.results.map((r) => ({
      status: r.status,
      timing: r.timing,
      thread_id: r.threadId,
      execution_time: r.executionTime,
      adapter_response: r.adapterResponse,
      message: r.message,
      failures: r.failures,
      unique_id: r.node.uniqueId,
      compiled: r.compiledCode !== null,
      compiled_code: r.compiledCode,
      relation_name: r.relationName,
      batch_results: null,
    })),
    elapsed_time: outcome.elapsedSeconds,
    args: {
      which: config.command,
      select: config.select ?? [],
      exclude: config.exclude ?? [],
      threads: config.threads,
      full_refresh: config.fullRefresh,
      invocation_command: `farebox transform ${config.command}`,
    },
  };
}

async function writeJson(dir: string, name: string, value: unknown): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, name);
  // Written beside and renamed, so a reader never sees half a file.
  await fs.writeFile(`${file}.tmp`, `${JSON.stringify(value, null, 2)}\n`);
  await fs.rename(`${file}.tmp`, file);
  return file;
}

export function writeManifest(
  targetDir: string,
  project: Project,
  meta: ArtifactMeta,
  outcome?: RunOutcome,
): Promise<string> {
  const compiled = new Map<string, string>();
  for (const r of outcome?.results ?? [])
    if (r.compiledCode !== null) compiled.set(r.node.uniqueId, r.compiledCode);
  return writeJson(targetDir, 'manifest.json', buildManifest(project, meta, compiled));
}

export function writeRunResults(targetDir: string, outcome: RunOutcome, config: RunConfig): Promise<string> {
  return writeJson(targetDir, 'run_results.json', buildRunResults(outcome, config));
}

export function writeLineage(targetDir: string, project: Project): Promise<string> {
  return writeJson(targetDir, 'lineage.json', buildLineage(project));
}
