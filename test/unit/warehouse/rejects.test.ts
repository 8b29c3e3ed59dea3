import { describe, expect, it } from 'vitest';
import { fileLineToRecord, jsonErrorReason, prepareFileLine, prepareRecord } from '../../../src/warehouse/loader.js';
import { customerPii } from './fixtures.js';

const pii = customerPii(7);
const reasonOf = (line: string): string => {
  const prepared = prepareFileLine(line, 'sha', 0, 'salt');
  return prepared.kind === 'rejected' ? prepared.rejected.reason : `not rejected: ${prepared.kind}`;
};

describe('reasons for refusing a record', () => {
  it('never quote the refused text, which may be personal data in clear', () => {
    const profile = `{"name":"${pii.name}","phone":"${pii.phone}","email":"${pii.email}"}`;
    const reasons = [
      reasonOf(pii.name),
      reasonOf(`{"topic":"user_events","key":"cus_7","value":{"profile":{"name":${pii.name}}}}`),
      reasonOf(`{"topic":"user_events","key":"cus_7","value":{"profile":${profile}, "note": ${pii.email}}}`),
      reasonOf(JSON.stringify({ topic: 'user_events', key: 'cus_7', value: `${profile} and then ${pii.name}` })),
      (() => {
        const prepared = prepareRecord({ origin: 'kafka', stream: 'user_events', partition: 0, offset: 3, topic: 'user_events', key: 'cus_7', value: pii.name }, 'salt');
        return prepared.kind === 'rejected' ? prepared.rejected.reason : 'not rejected';
      })(),
      (() => {
        const record = fileLineToRecord(`${pii.email} is not json`, 'sha', 0);
        return 'error' in record ? record.error : 'not rejected';
      })(),
    ];
    for (const reason of reasons) {
      expect(reason).toMatch(/not JSON|not valid JSON/);
      for (const part of [...pii.name.split(' '), pii.phone, pii.email, pii.email.split('@')[0]!]) expect(reason).not.toContain(part);
    }
  });

  it('keep what V8 says about where and why', () => {
    const failing = (text: string): unknown => {
      try {
        JSON.parse(text);
      } catch (error) {
        return error;
      }
      throw new Error(`${text} parsed`);
    };
    expect(jsonErrorReason(failing('Zelda'))).toBe("Unexpected token 'Z' (not valid JSON)");
    expect(jsonErrorReason(failing('{"a":1}x'))).toMatch(/^Unexpected non-whitespace character after JSON at position 7/);
    expect(jsonErrorReason(failing('{"a":'))).toMatch(/^Unexpected end of JSON input|Expected/);
  });
});
