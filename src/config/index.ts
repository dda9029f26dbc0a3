export type * from './types.ts';
export { parseConfig, repoRoot, type ConfigSources } from './parse.ts';
export { settings, type Setting, type SettingKey } from './settings.ts';
