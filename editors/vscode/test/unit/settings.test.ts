import * as assert from 'node:assert/strict';
import { test } from 'node:test';

import { ConfigurationLike, normalizeSeverity, serverSettings } from '../../src/settings';

function config(values: Record<string, unknown>): ConfigurationLike {
    return { get: <T>(k: string) => values[k] as T | undefined };
}

test('settings become the server shape {"severity": {"loop", "concurrent"}}', () => {
    const got = serverSettings(config({ 'severity.loop': 'information', 'severity.concurrent': 'warning', path: '/x' }));
    assert.deepEqual(got, { severity: { loop: 'information', concurrent: 'warning' } });
    assert.equal(JSON.stringify(got), '{"severity":{"loop":"information","concurrent":"warning"}}');
});

test('unset settings: the server defaults (loop warning, concurrent error)', () => {
    assert.deepEqual(serverSettings(config({})), { severity: { loop: 'warning', concurrent: 'error' } });
});

test('bad values fall back to the default, never reach the server', () => {
    assert.deepEqual(serverSettings(config({ 'severity.loop': 'fatal', 'severity.concurrent': 3 })), {
        severity: { loop: 'warning', concurrent: 'error' },
    });
});

test('severities are case-insensitive; info means information', () => {
    assert.equal(normalizeSeverity('HINT', 'error'), 'hint');
    assert.equal(normalizeSeverity(' info ', 'error'), 'information');
    assert.equal(normalizeSeverity(undefined, 'hint'), 'hint');
});
