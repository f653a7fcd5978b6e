#!/usr/bin/env -S node --initial-old-space-size=256
// The flags on the line above are CONTROL_PLANE_NODE_FLAGS (src/shared/heap.ts); a test keeps them equal.
import '../dist/cli/main.js';
