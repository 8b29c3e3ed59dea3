import type { Command } from 'commander';
import { resolveConfig, type ConfigFlags, type ResolvedConfig } from '../config/config.js';
import { ConfigError } from '../config/errors.js';
import { createOutput, type Output } from './output.js';
import { UsageError } from './errors.js';

/**
 * What every command module receives: configuration resolved from the global flags of the
 * command being run, output that honours --json/TTY/NO_COLOR, and a shutdown signal.
 */
export interface CliContext {
  config(command: Command, options?: { ignoreFlags?: (keyof ConfigFlags)[] }): ResolvedConfig;
  output(command: Command): Output;
  /** Aborted on the first SIGINT/SIGTERM; long-running commands drain and summarise on it. */
  shutdownSignal(): AbortSignal;
}

/** Signals closer together than this are one Ctrl-C delivered twice. */
const SAME_KEYPRESS_MS = 500;

export function createContext(env: NodeJS.ProcessEnv = process.env): CliContext {
  let shutdown: AbortController | undefined;
  return {
    config(command, options) {
      const flags = { ...(command.optsWithGlobals() as ConfigFlags) };
      for (const ignored of options?.ignoreFlags ?? []) delete flags[ignored];
      try {
        return resolveConfig(flags, env);
      } catch (error) {
        if (error instanceof ConfigError) throw new UsageError(error.message);
        throw error;
      }
    },
    output(command) {
      const opts = command.optsWithGlobals() as { json?: boolean };
      return createOutput({ json: opts.json, env });
    },
    shutdownSignal() {
      if (!shutdown) {
        const controller = new AbortController();
        shutdown = controller;
        let firstSignalAt: number | undefined;
        const onSignal = (signal: NodeJS.Signals): void => {
          // A second Ctrl-C means "now": skip the graceful drain. One keypress can arrive twice
          // (from the terminal and forwarded by `npm run`), hence the second must come later.
          if (firstSignalAt !== undefined) {
            if (Date.now() - firstSignalAt > SAME_KEYPRESS_MS) process.exit(130);
            return;
          }
          firstSignalAt = Date.now();
          process.stderr.write(`\n${signal} received: finishing in-flight work (Ctrl-C again to force)\n`);
          controller.abort(signal);
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      }
      return shutdown.signal;
    },
  };
}
