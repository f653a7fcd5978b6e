import { blockMirrorsProjection } from './blockMirrors.projection.js';
import { energyProjection } from './energy.projection.js';
import { interactionsProjection } from './interactions.projection.js';
import type { Projection } from './projectionRunner.js';
import { systemViewProjection } from './systemView.projection.js';

export { openReadModelDb, startProjections, type Projection, type ProjectionRunner } from './projectionRunner.js';
export { BLOCK_MIRRORS_TABLES, blockMirrors, blockMirrorsProjection, mirrorsForKey, type KeyMirrors, type MasterView, type SlaveView } from './blockMirrors.projection.js';
export { ENERGY_TABLES, ENERGY_UNITS, energyProjection, energyReport, type EnergyReport } from './energy.projection.js';
export {
  FIRINGS_KEPT,
  INTERACTIONS_TABLES,
  firings,
  getInteraction,
  interactionsProjection,
  listInteractions,
  rulesForSource,
  type Firing,
  type InteractionRow,
} from './interactions.projection.js';
export {
  DEFAULT_FEED_LIMIT,
  SYSTEM_VIEW_TABLES,
  changesAfter,
  createSystemViewProjection,
  getSystemView,
  latestSeq,
  systemViewProjection,
  type Change,
  type EntityKind,
  type SystemView,
} from './systemView.projection.js';

/** The read models `edgeplane start` keeps by default. */
export const builtinProjections: readonly Projection[] = [interactionsProjection, systemViewProjection, blockMirrorsProjection, energyProjection];
