// The safels extension: starts the safels language server (plain `safels`,
// LSP on stdio) for Go files, passes it the severities, and adds two
// commands: restart the server, show the conflict matrix.

import * as vscode from 'vscode';
import {
    DidChangeConfigurationNotification,
    ExecuteCommandRequest,
    LanguageClient,
    LanguageClientOptions,
    ServerOptions,
} from 'vscode-languageclient/node';

import { BinaryNotFoundError, findSafels, INSTALL_COMMAND } from './binary';
import { parseMatrixReport, renderMatrix } from './matrix';
import { serverSettings } from './settings';

export const MATRIX_COMMAND = 'safels.matrix';

/** Button labels of the "binary not found" message. */
export const INSTALL_BUTTON = 'Install with go';
export const COPY_BUTTON = 'Copy install command';
export const SETTINGS_BUTTON = 'Set safels.path';

let client: LanguageClient | undefined;
let outputChannel: vscode.OutputChannel | undefined;
let traceChannel: vscode.OutputChannel | undefined;
/** Serializes start/stop/restart so two restarts never race. */
let pending: Promise<unknown> = Promise.resolve();

function configuration(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration('safels');
}

function workspaceDir(): string | undefined {
    const f = vscode.workspace.workspaceFolders?.[0];
    return f && f.uri.scheme === 'file' ? f.uri.fsPath : undefined;
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
    outputChannel = vscode.window.createOutputChannel('safels');
    traceChannel = vscode.window.createOutputChannel('safels (trace)');
    context.subscriptions.push(
        outputChannel,
        traceChannel,
        vscode.commands.registerCommand('safels.restartServer', () => restart()),
        vscode.commands.registerCommand('safels.showMatrix', () => showMatrix()),
        vscode.workspace.onDidChangeConfiguration(onDidChangeConfiguration),
    );
    await serialize(() => start());
}

export async function deactivate(): Promise<void> {
    await serialize(() => stop());
}

function serialize<T>(f: () => Promise<T>): Promise<T> {
    const next = pending.then(f, f);
    pending = next.catch(() => undefined);
    return next;
}

/** Starts the client; on a missing binary, says how to install it and returns false. */
async function start(): Promise<boolean> {
    let command: string;
    try {
        command = findSafels({ setting: configuration().get<string>('path'), cwd: workspaceDir() });
    } catch (e) {
        if (e instanceof BinaryNotFoundError) {
            outputChannel?.appendLine(`${e.message}\nSearched:\n  ${e.searched.join('\n  ')}`);
            void reportMissing(e);
            return false;
        }
        throw e;
    }
    outputChannel?.appendLine(`Starting ${command}`);

    const c = new LanguageClient('safels', 'safels', serverOptions(command), clientOptions());
    client = c;
    try {
        await c.start();
    } catch (e) {
        client = undefined;
        const msg = e instanceof Error ? e.message : String(e);
        outputChannel?.appendLine(`safels failed to start: ${msg}`);
        void vscode.window.showErrorMessage(
            `safels (${command}) failed to start: ${msg}. If it is an old build, reinstall it with: ${INSTALL_COMMAND}`,
        );
        return false;
    }
    return true;
}

/**
 * How the server is started: `safels` with no arguments serves LSP on
 * stdio. No transport option, which would add a --stdio argument.
 */
export function serverOptions(command: string): ServerOptions {
    return { command, args: [], options: { cwd: workspaceDir() } };
}

/** The client's options: Go files, the settings in the server's shape, the matrix on its code lens. */
export function clientOptions(): LanguageClientOptions {
    return {
        documentSelector: [{ scheme: 'file', language: 'go' }],
        initializationOptions: () => serverSettings(configuration()),
        outputChannel,
        traceOutputChannel: traceChannel,
        middleware: {
            workspace: {
                // Answer the section "safels" in exactly the server's shape;
                // anything else as vscode-languageclient would.
                configuration: async (params, token, next) => {
                    const items = params.items;
                    const ours = items.map(it => it.section === 'safels');
                    if (!ours.some(Boolean)) {
                        return next(params, token);
                    }
                    let theirs: unknown[] = [];
                    if (!ours.every(Boolean)) {
                        const r = await next({ items: items.filter((_, i) => !ours[i]) }, token);
                        if (!Array.isArray(r)) {
                            return r; // an error
                        }
                        theirs = r;
                    }
                    let k = 0;
                    return items.map((_, i) => (ours[i] ? serverSettings(configuration()) : theirs[k++] ?? null));
                },
            },
            // The server's code lens runs safels.matrix: show its result.
            executeCommand: async (cmd, args, next) => {
                const result = await next(cmd, args);
                if (cmd === MATRIX_COMMAND) {
                    await openMatrix(result);
                }
                return result;
            },
        },
    };
}

async function stop(): Promise<void> {
    const c = client;
    client = undefined;
    if (c) {
        try {
            await c.stop();
        } catch (e) {
            outputChannel?.appendLine(`stopping safels: ${e instanceof Error ? e.message : String(e)}`);
        }
    }
}

/** Stops the server if it runs, then starts it again (looking up the binary anew). */
export function restart(): Promise<boolean> {
    return serialize(async () => {
        await stop();
        return start();
    });
}

async function reportMissing(e: BinaryNotFoundError): Promise<void> {
    const choice = await vscode.window.showErrorMessage(e.message, INSTALL_BUTTON, COPY_BUTTON, SETTINGS_BUTTON);
    switch (choice) {
        case INSTALL_BUTTON: {
            const term = vscode.window.createTerminal('safels install');
            term.show();
            term.sendText(INSTALL_COMMAND);
            const again = await vscode.window.showInformationMessage(
                'When the install has finished, restart the safels language server.',
                'Restart',
            );
            if (again === 'Restart') {
                await restart();
            }
            break;
        }
        case COPY_BUTTON:
            await vscode.env.clipboard.writeText(INSTALL_COMMAND);
            break;
        case SETTINGS_BUTTON:
            await vscode.commands.executeCommand('workbench.action.openSettings', 'safels.path');
            break;
    }
}

function onDidChangeConfiguration(e: vscode.ConfigurationChangeEvent): void {
    if (e.affectsConfiguration('safels.path')) {
        void restart();
        return;
    }
    if (e.affectsConfiguration('safels.severity') && client?.isRunning()) {
        // Pushed in the server's shape: {"safels": {"severity": {...}}}.
        void client
            .sendNotification(DidChangeConfigurationNotification.type, {
                settings: { safels: serverSettings(configuration()) },
            })
            .catch(err => outputChannel?.appendLine(`didChangeConfiguration: ${String(err)}`));
    }
}

/** The command safels.showMatrix: asks the server for the matrix and opens it. */
export async function showMatrix(): Promise<void> {
    const c = client;
    if (!c || !c.isRunning()) {
        const choice = await vscode.window.showErrorMessage(
            'The safels language server is not running.',
            'Restart Server',
        );
        if (choice === 'Restart Server') {
            await restart();
        }
        return;
    }
    let result: unknown;
    try {
        result = await c.sendRequest(ExecuteCommandRequest.type, { command: MATRIX_COMMAND });
    } catch (e) {
        void vscode.window.showErrorMessage(`safels.matrix failed: ${e instanceof Error ? e.message : String(e)}`);
        return;
    }
    await openMatrix(result);
}

async function openMatrix(result: unknown): Promise<void> {
    let content: string;
    try {
        content = renderMatrix(parseMatrixReport(result));
    } catch (e) {
        void vscode.window.showErrorMessage(e instanceof Error ? e.message : String(e));
        return;
    }
    const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content });
    await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Beside });
}
