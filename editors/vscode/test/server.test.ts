// Drives the real safels language server over stdio, as VS Code does through
// vscode-languageclient, on the bundled example testdata/thttpd:
// diagnostics, the "Defer" quick fix, the conflict matrix.
//
//	SAFELS_BIN=/tmp/safels npm run test:server
//
// Without SAFELS_BIN the binary is built with `go build` into a temporary
// directory (from the module two levels up from editors/vscode).

import * as assert from 'node:assert/strict';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

import {
    CodeAction,
    CodeActionRequest,
    Command,
    createProtocolConnection,
    Diagnostic,
    DidOpenTextDocumentNotification,
    ExecuteCommandRequest,
    ExitNotification,
    InitializedNotification,
    InitializeRequest,
    ProtocolConnection,
    PublishDiagnosticsNotification,
    PublishDiagnosticsParams,
    ShutdownRequest,
    StreamMessageReader,
    StreamMessageWriter,
    TextEdit,
    WorkspaceEdit,
} from 'vscode-languageserver-protocol/node';

import { parseMatrixReport, renderMatrix } from '../src/matrix';

// Compiled to editors/vscode/out/test.
const extensionRoot = path.resolve(__dirname, '../..');
const moduleRoot = path.resolve(extensionRoot, '../..');
const thttpd = path.resolve(extensionRoot, '../../testdata/thttpd');
const handlersGo = path.join(thttpd, 'handlers.go');

const DIAGNOSTICS_TIMEOUT = 120_000;
const REQUEST_TIMEOUT = 60_000;
/** The severities sent as initializationOptions and as workspace/configuration. */
const SETTINGS = { severity: { loop: 'information', concurrent: 'error' } };

let tmp: string | undefined;
let proc: ChildProcess | undefined;
let conn: ProtocolConnection | undefined;
let stderr = '';
let exited: Promise<number | null> | undefined;
const published: PublishDiagnosticsParams[] = [];
const waiters: ((p: PublishDiagnosticsParams) => void)[] = [];

function binary(): string {
    if (process.env.SAFELS_BIN) {
        return path.resolve(process.env.SAFELS_BIN);
    }
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'safels-bin-'));
    const out = path.join(tmp, process.platform === 'win32' ? 'safels.exe' : 'safels');
    execFileSync('go', ['build', '-o', out, './cmd/safels'], {
        cwd: moduleRoot,
        env: { ...process.env, GOTOOLCHAIN: 'local' },
        stdio: ['ignore', 'inherit', 'inherit'],
    });
    return out;
}

function samePath(uri: string, file: string): boolean {
    try {
        return path.resolve(fileURLToPath(uri)) === path.resolve(file);
    } catch {
        return false;
    }
}

/** Rejects after ms, or when the server exits first, with what it printed. */
function bounded<T>(what: string, p: Promise<T>, ms: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer after ${ms / 1000}s; server stderr:\n${stderr}`)), ms);
    });
    const died = exited!.then(code => {
        throw new Error(`${what}: the server exited (${code}); stderr:\n${stderr}`);
    });
    return Promise.race([p, timeout, died]).finally(() => clearTimeout(timer));
}

/** The first publication (already received or to come) that satisfies ok. */
function waitForDiagnostics(ok: (p: PublishDiagnosticsParams) => boolean): Promise<PublishDiagnosticsParams> {
    const seen = published.find(ok);
    if (seen) {
        return Promise.resolve(seen);
    }
    return new Promise(resolve => {
        const w = (p: PublishDiagnosticsParams) => {
            if (ok(p)) {
                waiters.splice(waiters.indexOf(w), 1);
                resolve(p);
            }
        };
        waiters.push(w);
    });
}

/** Offset in text of an LSP position (UTF-16 code units, as JavaScript strings count). */
function offsetAt(text: string, line: number, character: number): number {
    let off = 0;
    for (let l = 0; l < line; l++) {
        const nl = text.indexOf('\n', off);
        if (nl < 0) {
            return text.length;
        }
        off = nl + 1;
    }
    const end = text.indexOf('\n', off);
    return Math.min(off + character, end < 0 ? text.length : end);
}

function applyEdits(text: string, edits: TextEdit[]): string {
    const sorted = edits
        .map(e => ({ start: offsetAt(text, e.range.start.line, e.range.start.character), end: offsetAt(text, e.range.end.line, e.range.end.character), newText: e.newText }))
        .sort((a, b) => b.start - a.start || b.end - a.end);
    for (const e of sorted) {
        text = text.slice(0, e.start) + e.newText + text.slice(e.end);
    }
    return text;
}

/** The text edits a workspace edit makes to file, checking versions in documentChanges. */
function editsFor(edit: WorkspaceEdit, file: string, version: number): TextEdit[] {
    const edits: TextEdit[] = [];
    for (const dc of edit.documentChanges ?? []) {
        if ('textDocument' in dc && samePath(dc.textDocument.uri, file)) {
            if (dc.textDocument.version !== null) {
                assert.equal(dc.textDocument.version, version, 'the edit is for the opened version');
            }
            edits.push(...dc.edits.filter((e): e is TextEdit => 'range' in e && 'newText' in e));
        }
    }
    for (const [uri, es] of Object.entries(edit.changes ?? {})) {
        if (samePath(uri, file)) {
            edits.push(...es);
        }
    }
    return edits;
}

before(() => {
    const bin = binary();
    proc = spawn(bin, [], { cwd: thttpd, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, GOTOOLCHAIN: 'local' } });
    exited = new Promise(resolve => proc!.on('exit', code => resolve(code)));
    proc.stdin!.on('error', () => undefined); // a dead server: the test reports its exit instead
    proc.stderr!.on('data', d => {
        stderr += d.toString();
    });
    conn = createProtocolConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
    conn.onNotification(PublishDiagnosticsNotification.type, p => {
        published.push(p);
        [...waiters].forEach(w => w(p));
    });
    // Requests from the server, answered as VS Code would.
    conn.onRequest('workspace/configuration', (params: { items: { section?: string }[] }) =>
        params.items.map(it => (it.section === 'safels' ? SETTINGS : null)),
    );
    conn.onRequest('client/registerCapability', () => null);
    conn.onRequest('client/unregisterCapability', () => null);
    conn.onRequest('window/workDoneProgress/create', () => null);
    conn.onRequest('window/showMessageRequest', () => null);
    conn.onRequest('workspace/applyEdit', () => ({ applied: false }));
    conn.onNotification('window/logMessage', () => undefined);
    conn.onNotification('window/showMessage', () => undefined);
    conn.onNotification('$/progress', () => undefined);
    conn.onNotification('$/logTrace', () => undefined);
    conn.listen();
});

after(async () => {
    conn?.dispose();
    if (proc && proc.exitCode === null && proc.signalCode === null) {
        // Closing stdin ends a server that still reads it; then SIGTERM, then SIGKILL.
        proc.stdin!.end();
        proc.kill('SIGTERM');
        const kill = setTimeout(() => proc!.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(kill);
    }
    // Whatever the server left behind must not keep the test alive.
    proc?.stdout?.destroy();
    proc?.stderr?.destroy();
    if (tmp) {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
});

test('safels language server on testdata/thttpd', { timeout: 300_000 }, async t => {
    const c = conn!;
    const rootUri = pathToFileURL(thttpd).href;
    const uri = pathToFileURL(handlersGo).href;
    const text = fs.readFileSync(handlersGo, 'utf8');

    const init = await bounded(
        'initialize',
        c.sendRequest(InitializeRequest.type, {
            processId: process.pid,
            clientInfo: { name: 'safels-vscode-test' },
            rootUri,
            workspaceFolders: [{ uri: rootUri, name: 'thttpd' }],
            initializationOptions: SETTINGS,
            capabilities: {
                workspace: {
                    configuration: true,
                    applyEdit: true,
                    workspaceEdit: { documentChanges: true },
                    didChangeConfiguration: { dynamicRegistration: false },
                    didChangeWatchedFiles: { dynamicRegistration: true },
                    executeCommand: {},
                    workspaceFolders: true,
                },
                textDocument: {
                    synchronization: { didSave: true },
                    publishDiagnostics: { relatedInformation: true, codeDescriptionSupport: true },
                    codeAction: {
                        codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix', 'refactor', 'source'] } },
                    },
                    codeLens: {},
                    hover: { contentFormat: ['markdown', 'plaintext'] },
                },
                window: { workDoneProgress: true },
                general: { positionEncodings: ['utf-16'] },
            },
        }),
        REQUEST_TIMEOUT,
    );
    assert.ok(init.capabilities.codeActionProvider, 'code actions');
    assert.ok(init.capabilities.executeCommandProvider?.commands.includes('safels.matrix'), 'command safels.matrix');
    await c.sendNotification(InitializedNotification.type, {});
    await c.sendNotification(DidOpenTextDocumentNotification.type, {
        textDocument: { uri, languageId: 'go', version: 1, text },
    });

    let diag: Diagnostic | undefined;
    await t.test('diagnostics: handleSend calls reallyClearConnection, with a partner handler', async () => {
        const isTarget = (d: Diagnostic) =>
            d.message.includes('reallyClearConnection') && /;.*\bhandle[A-Z]\w*/.test(d.message);
        const pub = await bounded(
            'publishDiagnostics on handlers.go',
            waitForDiagnostics(p => samePath(p.uri, handlersGo) && p.diagnostics.some(isTarget)),
            DIAGNOSTICS_TIMEOUT,
        );
        diag = pub.diagnostics.find(isTarget)!;
        assert.equal(diag.source, 'safels');
        assert.ok(['global-conflict', 'context-conflict', 'data-race'].includes(String(diag.code)), `code ${diag.code}`);
        assert.equal(diag.severity, 3, 'loop model: information, as configured');
        assert.ok((diag.relatedInformation ?? []).length > 0, 'relatedInformation to the partner accesses');
    });

    await t.test('code action: Defer to a new handler posts it with loop.Post', async () => {
        assert.ok(diag, 'a diagnostic to fix');
        const actions = await bounded(
            'textDocument/codeAction',
            c.sendRequest(CodeActionRequest.type, {
                textDocument: { uri },
                range: diag!.range,
                context: { diagnostics: [diag!] },
            }),
            REQUEST_TIMEOUT,
        );
        const literals = (actions ?? []).filter((a: Command | CodeAction): a is CodeAction => !('command' in a && typeof a.command === 'string'));
        const titles = (actions ?? []).map(a => a.title);
        const defer = literals.find(a => a.title.startsWith('Defer') && a.edit);
        assert.ok(defer, `a "Defer" quick fix with an edit among: ${JSON.stringify(titles)}`);
        assert.equal(defer!.kind, 'quickfix');
        const edits = editsFor(defer!.edit!, handlersGo, 1);
        assert.ok(edits.length > 0, 'the edit changes handlers.go');
        const fixed = applyEdits(text, edits);
        assert.notEqual(fixed, text);
        assert.ok(fixed.includes('loop.Post('), 'the fixed file posts the new handler');
    });

    await t.test('executeCommand safels.matrix: handlers and b1b0 cells', async () => {
        const result = await bounded(
            'workspace/executeCommand safels.matrix',
            c.sendRequest(ExecuteCommandRequest.type, { command: 'safels.matrix' }),
            REQUEST_TIMEOUT,
        );
        const report = parseMatrixReport(result);
        const send = report.handlers.find(h => h.short === 'handleSend');
        assert.ok(send, `handleSend among ${report.handlers.map(h => h.short).join(', ')}`);
        assert.equal(send!.model, 'loop');
        for (const row of report.matrix) {
            for (const cell of row) {
                assert.match(cell, /^[01]{2}$/);
            }
        }
        assert.match(renderMatrix(report), /handleSend/);
    });

    await bounded('shutdown', c.sendRequest(ShutdownRequest.type), REQUEST_TIMEOUT);
    await c.sendNotification(ExitNotification.type);
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([exited!, new Promise(r => (timer = setTimeout(() => r('still running'), 10_000)))]);
    clearTimeout(timer);
    assert.equal(code, 0, `exit status after shutdown/exit; stderr:\n${stderr}`);
});
