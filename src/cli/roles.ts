/** The parts of the platform `farebox serve` runs as processes of their own. */
export const roles = [
  'gateway',
  'registry',
  'sink',
  'preload',
  'simulator',
  'scheduler',
  'dashboards',
] as const;
export type Role = (typeof roles)[number];
