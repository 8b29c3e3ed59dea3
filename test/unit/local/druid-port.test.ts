import { describe, expect, it } from 'vitest';
import { localDruidPort } from '../../../src/local/druid-stack.js';

describe('the local Druid router port', () => {
  it('is 18888 when DRUID_URL is not set', () => {
    expect(localDruidPort(undefined)).toEqual({ port: 18888 });
  });

  it("is DRUID_URL's port when DRUID_URL names this machine, so `ridehail druid` finds it", () => {
    expect(localDruidPort('http://127.0.0.1:28888')).toEqual({ port: 28888 });
    expect(localDruidPort('http://localhost:9999/')).toEqual({ port: 9999 });
    expect(localDruidPort('https://localhost')).toEqual({ port: 443 });
  });

  it('stays 18888 with a warning when DRUID_URL points at another host', () => {
    const chosen = localDruidPort('https://druid.example.com:8888');
    expect(chosen.port).toBe(18888);
    expect(chosen.warning).toMatch(/DRUID_URL points at druid\.example\.com:8888/);
  });
});
