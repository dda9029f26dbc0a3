export type { CatchUp, Job, JobAction, Pipeline, Schedule } from './types.ts';
export {
  loadPipelines,
  parseDuration,
  parsePipeline,
  syncPipeline,
  type PipelineContext,
} from './pipeline.ts';
export { dueTimes, fireTimes, latestFireTime, nextFireTime } from './schedule.ts';
export { createRunStore, type Alert, type JobRun, type PipelineRun, type RunStore } from './store.ts';
export {
  createScheduler,
  queueBackfill,
  systemClock,
  type Clock,
  type Executor,
  type JobContext,
  type Scheduler,
  type SchedulerConfig,
  type SchedulerDeps,
} from './scheduler.ts';
export { createExecutor, freshnessOf, optimize, type ExecutorDeps, type ExecutorOptions } from './execute.ts';
export {
  airflowDag,
  durationArg,
  exportAirflow,
  jobCommand,
  shellQuote,
  type AirflowOptions,
} from './airflow.ts';
export { expireRows, runUpkeep, type ExpiredRows } from './upkeep.ts';
export { cleanObjects, type CleanedObjects, type CleanObjectsOptions } from './clean-objects.ts';
