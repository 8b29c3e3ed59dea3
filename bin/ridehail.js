#!/usr/bin/env node
// Thin launcher: all logic lives in the compiled CLI so `npx ridehail` starts fast and typed.
import { main } from '../dist/cli/main.js';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    // main() handles its own errors; reaching here is a bug, so show everything.
    console.error(error);
    process.exitCode = 1;
  },
);
