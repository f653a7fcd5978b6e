/** MCP23017 pins: `gpa0`..`gpa7` are bits 0..7 and `gpb0`..`gpb7` bits 8..15 of an A/B register pair. */
export type Mcp23017Pin = `gp${'a' | 'b'}${0 | 1 | 2 | 3 | 4 | 5 | 6 | 7}`;

export const MCP23017_PINS: readonly Mcp23017Pin[] = (['a', 'b'] as const).flatMap((port) => [0, 1, 2, 3, 4, 5, 6, 7].map((n) => `gp${port}${n}` as Mcp23017Pin));

/** Bit index of a pin name, or undefined when it is not one. */
export function mcp23017PinIndex(name: string): number | undefined {
  const i = MCP23017_PINS.indexOf(name as Mcp23017Pin);
  return i < 0 ? undefined : i;
}
