export type * from './types.ts';
export { environment, parseConfig, repoRoot, type ConfigSources } from './parse.ts';
export { settings, type Setting, type SettingKey } from './settings.ts';
