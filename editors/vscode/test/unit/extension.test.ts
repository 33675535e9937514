// The extension against the fake vscode module: what a user sees when the
// binary is missing, and the commands it registers.
import { answers, commands, recorded, reset, settings } from './fake-vscode';

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';

import type * as vscode from 'vscode';

import { INSTALL_COMMAND } from '../../src/binary';
import * as ext from '../../src/extension';

let savedEnv: NodeJS.ProcessEnv;
let empty: string;

function context(): vscode.ExtensionContext {
    return { subscriptions: [] as { dispose(): unknown }[] } as unknown as vscode.ExtensionContext;
}

/** Lets the message promise chains (button handlers) run. */
const settle = () => new Promise(resolve => setImmediate(resolve));

beforeEach(() => {
    reset();
    savedEnv = { ...process.env };
    empty = fs.mkdtempSync(path.join(os.tmpdir(), 'safels-empty-'));
    // Nowhere to find safels: PATH, GOBIN and GOPATH point at an empty directory.
    process.env.PATH = empty;
    process.env.GOBIN = empty;
    process.env.GOPATH = empty;
});

afterEach(async () => {
    await ext.deactivate();
    process.env = savedEnv;
    fs.rmSync(empty, { recursive: true, force: true });
});

test('activation registers the commands', async () => {
    await ext.activate(context());
    assert.ok(commands.has('safels.restartServer'));
    assert.ok(commands.has('safels.showMatrix'));
});

test('a missing binary: an error with the install command and buttons', async () => {
    await ext.activate(context());
    await settle();
    assert.equal(recorded.errors.length, 1);
    const { message, items } = recorded.errors[0];
    assert.ok(message.includes(INSTALL_COMMAND), message);
    assert.deepEqual(items, [ext.INSTALL_BUTTON, ext.COPY_BUTTON, ext.SETTINGS_BUTTON]);
    assert.ok(recorded.output.some(l => l.includes('Searched:')), 'the searched paths are logged');
});

test('the install button runs go install in a terminal', async () => {
    answers.error = ext.INSTALL_BUTTON;
    await ext.activate(context());
    await settle();
    assert.equal(recorded.terminals.length, 1);
    assert.deepEqual(recorded.terminals[0].sent, [INSTALL_COMMAND]);
    assert.match(recorded.infos[0]?.message ?? '', /restart/i);
});

test('the copy button puts the install command on the clipboard', async () => {
    answers.error = ext.COPY_BUTTON;
    await ext.activate(context());
    await settle();
    assert.equal(recorded.clipboard, INSTALL_COMMAND);
});

test('the settings button opens the setting safels.path', async () => {
    answers.error = ext.SETTINGS_BUTTON;
    await ext.activate(context());
    await settle();
    assert.deepEqual(recorded.executed, [{ command: 'workbench.action.openSettings', args: ['safels.path'] }]);
});

test('safels.path pointing nowhere: the error names the setting', async () => {
    settings.set('safels.path', path.join(empty, 'no-such-safels'));
    await ext.activate(context());
    await settle();
    assert.match(recorded.errors[0].message, /safels\.path is set to/);
    assert.ok(recorded.errors[0].message.includes(INSTALL_COMMAND));
});

test('show matrix without a server: says the server is not running', async () => {
    await ext.activate(context());
    await settle();
    reset();
    await ext.showMatrix();
    assert.equal(recorded.errors.length, 1);
    assert.match(recorded.errors[0].message, /not running/);
    assert.equal(recorded.documents.length, 0);
});

test('the server is started as plain `safels`, no --stdio', () => {
    const o = ext.serverOptions('/usr/bin/safels') as { command: string; args?: string[]; transport?: unknown };
    assert.equal(o.command, '/usr/bin/safels');
    assert.deepEqual(o.args, []);
    assert.equal(o.transport, undefined);
});

test('initializationOptions: the severities from the settings, in the server shape', () => {
    settings.set('safels.severity.loop', 'hint');
    settings.set('safels.path', '/somewhere/safels');
    const init = ext.clientOptions().initializationOptions as () => unknown;
    assert.deepEqual(init(), { severity: { loop: 'hint', concurrent: 'error' } });
    settings.set('safels.severity.concurrent', 'warning');
    assert.deepEqual(init(), { severity: { loop: 'hint', concurrent: 'warning' } }, 'read at each start');
});

test('workspace/configuration: section safels in the server shape, others passed on', async () => {
    settings.set('safels.severity.concurrent', 'information');
    const configuration = ext.clientOptions().middleware!.workspace!.configuration!;
    const token = {} as never;
    const seen: unknown[] = [];
    const next = ((params: { items: { section?: string }[] }) => {
        seen.push(params.items.map(it => it.section));
        return params.items.map(it => `next:${it.section}`);
    }) as never;
    const want = { severity: { loop: 'warning', concurrent: 'information' } };
    assert.deepEqual(await configuration({ items: [{ section: 'safels' }] }, token, next), [want]);
    assert.deepEqual(seen, [], 'answered without the default handler');
    assert.deepEqual(await configuration({ items: [{ section: 'go' }, { section: 'safels' }, { section: 'gopls' }] }, token, next), [
        'next:go',
        want,
        'next:gopls',
    ]);
    assert.deepEqual(await configuration({ items: [{ section: 'go' }] }, token, next), ['next:go']);
});

test('the code lens command safels.matrix opens the matrix document', async () => {
    const executeCommand = ext.clientOptions().middleware!.executeCommand!;
    const report = {
        handlers: [{ name: 'x.handleSend', short: 'handleSend', pos: 'handlers.go:138:6', model: 'loop', hue: 1, colored: true }],
        matrix: [['11']],
    };
    const got = await executeCommand('safels.matrix', [], async () => report);
    assert.equal(got, report, 'the result is passed through');
    assert.equal(recorded.documents.length, 1);
    assert.equal(recorded.documents[0].language, 'markdown');
    assert.match(recorded.documents[0].content ?? '', / 1 handleSend\s+11\s+1\s+ctx/);
    await executeCommand('other.command', [], async () => 1);
    assert.equal(recorded.documents.length, 1, 'only safels.matrix opens a document');
});
