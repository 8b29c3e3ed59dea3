import { describe, expect, it } from 'vitest';
import { dashboardCommand } from '../../../src/cli/commands/dashboard.js';
import { createContext } from '../../../src/cli/context.js';
import { UsageError } from '../../../src/cli/errors.js';
import { isLoopback } from '../../../src/dashboard/server.js';

describe('ridehail dashboard', () => {
  it('refuses a non-loopback address without --allow-remote', async () => {
    const command = dashboardCommand(createContext({}));
    command.exitOverride();
    await expect(command.parseAsync(['--host', '0.0.0.0'], { from: 'user' })).rejects.toBeInstanceOf(UsageError);
    await expect(command.parseAsync(['--host', '192.168.1.10'], { from: 'user' })).rejects.toThrow(/--allow-remote/);
  });

  it('explains itself with examples in --help', () => {
    const help = dashboardCommand(createContext({})).helpInformation();
    expect(help).toMatch(/--port/);
    expect(help).toMatch(/--allow-remote/);
    let text = '';
    const command = dashboardCommand(createContext({}));
    command.configureOutput({ writeOut: (s) => (text += s) });
    command.outputHelp();
    expect(text).toMatch(/Examples:\n {2}\$ ridehail dashboard/);
  });

  it('treats only loopback names and addresses as local', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) expect(isLoopback(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '']) expect(isLoopback(host), host).toBe(false);
  });
});
