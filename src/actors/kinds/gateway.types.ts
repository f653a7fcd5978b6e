import type { Command } from '../decider.js';
import type { LivenessState } from './liveness.js';

/** The gateway's commands, events and state (edge-node-manager seed); behaviour in gateway.decider.ts. */
export type ProcessStatus = 'Running' | 'Paused';
export const PROCESS_STATUSES: readonly ProcessStatus[] = ['Running', 'Paused'];

export interface DeviceOnline {
  localId: string;
  online: boolean;
}

export type GatewayCommand =
  | Command<'SetTargetStatus', { targetStatus: ProcessStatus }>
  | Command<'ReportStatus', { currentStatus: ProcessStatus; at?: string }>
  | Command<'GatewayStarted', { devices: DeviceOnline[]; at?: string }>
  | Command<'MarkOnline', { devices: DeviceOnline[]; at?: string }>
  | Command<'MarkOffline', { reason?: string; at?: string }>
  | Command<'Heartbeat', { at?: string }>
  | Command<'ReportDeviceStatus', { localId: string; online: boolean; at?: string }>
  | Command<'DetectDevice', { localId: string; boardType: string; at?: string }>
  | Command<'ProvisionDevice', { localId: string; name: string; application: string }>
  | Command<'RequestRestart', { localId: string }>
  | Command<'ConfirmRestart', { localId: string; at?: string }>
  | Command<'RequestDelete', { localId: string }>
  | Command<'ConfirmDelete', { localId: string; at?: string }>
  | Command<'SetTargetFirmware', { localId: string; commit: string; maxAttempts?: number }>
  | Command<'StartUpdateAttempt', { localId: string; attempt: number; timeoutMs: number; at?: string }>
  | Command<'ReportUpdateProgress', { localId: string; attempt: number; percent: number; at?: string }>
  | Command<'CompleteUpdate', { localId: string; attempt: number; at?: string }>
  | Command<'FailUpdateAttempt', { localId: string; attempt: number; error: string; at?: string }>;

type Ev<T extends string, D> = { type: T; data: D };
type OfDevice<D = object> = D & { localId: string; at: string };

export type GatewayEvent =
  | Ev<'TargetStatusSet', { targetStatus: ProcessStatus; at: string }>
  | Ev<'ProcessStatusReported', { currentStatus: ProcessStatus; at: string }>
  | Ev<'GatewayWentOnline', { at: string; restarted: boolean }>
  /**
   * An online gateway restated its devices (`MarkOnline {devices}`) and nothing differed: the
   * gateway is alive and so is every device it listed online.
   */
  | Ev<'GatewaySeen', { at: string }>
  /** An online gateway's own heartbeat: it is alive; it says nothing about its devices. */
  | Ev<'GatewayHeartbeatReceived', { at: string }>
  | Ev<'GatewayWentOffline', { at: string; reason: string | null }>
  /** Every known dependent device's online flag, in full: devices the gateway did not list are offline. */
  | Ev<'DeviceStatusesRestated', { at: string; devices: DeviceOnline[]; unrecognized: string[] }>
  | Ev<'DependentDeviceStatusChanged', OfDevice<{ online: boolean }>>
  | Ev<'DeviceDetected', OfDevice<{ boardType: string }>>
  | Ev<'DeviceProvisioned', OfDevice<{ name: string; application: string }>>
  | Ev<'DeviceRestartRequested', OfDevice>
  | Ev<'DeviceRestarted', OfDevice>
  | Ev<'DeviceDeleteRequested', OfDevice>
  | Ev<'DeviceDeleted', OfDevice>
  | Ev<'FirmwareTargetSet', OfDevice<{ commit: string; maxAttempts: number }>>
  | Ev<'UpdateAttemptStarted', OfDevice<{ commit: string; attempt: number; timeoutMs: number; deadline: string }>>
  | Ev<'UpdateProgressReported', OfDevice<{ attempt: number; percent: number }>>
  | Ev<'UpdateCompleted', OfDevice<{ commit: string; attempt: number }>>
  | Ev<'UpdateAttemptFailed', OfDevice<{ commit: string; attempt: number; error: string; retriesLeft: number }>>
  /** The last attempt failed: the update stays failed until a new target is set. */
  | Ev<'UpdateFailed', OfDevice<{ commit: string; attempts: number; error: string }>>;

export interface FirmwareUpdate {
  commit: string;
  maxAttempts: number;
  attemptsUsed: number;
  status: 'pending' | 'updating' | 'failed' | 'done';
  attempt: { number: number; startedAt: string; deadline: string; percent: number } | null;
  lastError: string | null;
}

export interface DependentDevice {
  localId: string;
  boardType: string;
  detectedAt: string;
  /** null: unknown, because the gateway itself is unreachable. */
  online: boolean | null;
  onlineChangedAt: string | null;
  provisioned: { name: string; application: string } | null;
  restartRequestedAt: string | null;
  lastRestartedAt: string | null;
  deleteRequestedAt: string | null;
  /** The firmware commit it runs, as far as a completed update says. */
  commit: string | null;
  update: FirmwareUpdate | null;
}

export interface GatewayState extends LivenessState {
  targetStatus: ProcessStatus;
  currentStatus: ProcessStatus | null;
  currentStatusAt: string | null;
  startedAt: string | null;
  offlineReason: string | null;
  devices: Record<string, DependentDevice>;
}

export const DEFAULT_MAX_ATTEMPTS = 3;
export const MAX_ATTEMPTS_LIMIT = 20;
export const MAX_TIMEOUT_MS = 24 * 60 * 60 * 1000;
export const RESTARTED_DURING_UPDATE = 'gateway restarted during update';
