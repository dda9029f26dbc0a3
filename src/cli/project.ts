/**
 * What the repository defines, as the CLI and `farebox up` load it: the transform project's models, the
 * syncs of FAREBOX_SYNCS, and the pipelines of FAREBOX_PIPELINES plus one per sync with a schedule.
 */
import { environment, type Config } from '../config/index.ts';
import { loadPipelines, syncPipeline, type Pipeline } from '../orchestrate/index.ts';
import { loadSyncs, type SyncDef } from '../reverse-etl/index.ts';
import { loadProject } from '../transform/index.ts';

/** The transform project's model names, which pipeline selectors and sync sources are checked against. */
export function projectModels(config: Config): string[] {
  const project = loadProject(config.orchestrate.projectDir, { targetSchema: config.warehouse.database });
  return [...project.nodes.values()].filter((n) => n.resourceType === 'model').map((n) => n.name);
}

export function syncsOf(config: Config, models = projectModels(config)): SyncDef[] {
  return loadSyncs(config.orchestrate.syncsDir, { models, env: environment() });
}

/** The pipeline files' pipelines, then a `sync_<name>` pipeline per enabled sync with a schedule. */
export function pipelinesOf(config: Config): Pipeline[] {
  const models = projectModels(config);
  const syncs = syncsOf(config, models);
  const pipelines = loadPipelines(config.orchestrate.pipelinesDir, {
    models,
    syncs: syncs.map((s) => s.name),
  });
  for (const s of syncs)
    if (s.schedule !== undefined && s.disabled === undefined)
      pipelines.push(syncPipeline({ ...s, schedule: s.schedule }));
  return pipelines;
}
